/** Helpers shared by tests: temp folders and in-memory stores. Not shipped behaviour. */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createChem } from '../chem/index.js';
import type { Chem } from '../chem/index.js';
import { openStore } from '../store/index.js';
import type { Store } from '../store/index.js';
import type { Outcome, ParseContext, RawRecord, SourceParser } from '../sources/types.js';
import { sha256Hex } from '../util/hash.js';

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

/** Frames text into line records as the ingest pipeline does (1-based lines, byte offsets, blank lines skipped). */
export function lineRecords(text: string): RawRecord[] {
  const out: RawRecord[] = [];
  let offset = 0;
  text.split('\n').forEach((line, i) => {
    if (line.trim()) out.push({ text: line, line: i + 1, offset, hash: sha256Hex(line) });
    offset += Buffer.byteLength(line) + 1;
  });
  return out;
}

/** Runs a parser over records (or text framed into lines) and collects its outcomes. */
export async function runParser(parser: SourceParser, input: string | readonly RawRecord[], ctx: ParseContext): Promise<Outcome[]> {
  const recs = typeof input === 'string' ? lineRecords(input) : input;
  async function* gen(): AsyncGenerator<RawRecord> {
    yield* recs;
  }
  return collect(parser.parse(gen(), ctx));
}
