/** Helpers shared by tests: temp folders and in-memory stores. Not shipped behaviour. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChem } from '../chem/index.js';
import type { Chem } from '../chem/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/index.js';

let chem: Promise<Chem> | undefined;
export function sharedChem(): Promise<Chem> {
  chem ??= createChem();
  return chem;
}

export async function withTempDir<T>(fn: (dir: string) => Promise<T>): Promise<T> {
  const dir = await mkdtemp(join(tmpdir(), 'mw-test-'));
  try {
    return await fn(dir);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export async function withMemoryStore<T>(fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ path: ':memory:' });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

export async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}
