import type { Command } from 'commander';
import { DEFAULT_DB, openStore } from '../store/index.js';
import type { Store } from '../store/index.js';

export function addDbOption(cmd: Command): Command {
  return cmd.option('--db <file>', `DuckDB store file`, process.env['MIRRORWATCH_DB'] ?? DEFAULT_DB);
}

export async function withStore<T>(db: string, fn: (store: Store) => Promise<T>, readOnly = false): Promise<T> {
  const store = await openStore({ path: db, readOnly });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export function printJson(value: unknown): void {
  process.stdout.write(JSON.stringify(value, null, 2) + '\n');
}

export function humanBytes(n: number): string {
  const units = ['B', 'KB', 'MB', 'GB', 'TB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(i === 0 ? 0 : 1)} ${units[i]}`;
}
