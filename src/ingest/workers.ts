/**
 * A pool of parse workers for one file. The main thread frames records and
 * hands them out in chunks, round robin; replies come back per chunk and are
 * taken in submission order, so events are stored in file order and the
 * accounting is the single-thread pipeline's.
 */
import { Worker } from 'node:worker_threads';
import type { DirectoryEntry } from '../events/index.js';
import type { WorkItem } from './work.js';

export interface WorkerInit {
  format: string;
  file: string;
  parserOptions: Record<string, string>;
  directory: DirectoryEntry[];
}

export interface ChunkRequest {
  seq: number;
  texts: string[];
  lines: number[];
  offsets: number[];
}

export type ChunkReply = { seq: number; items: WorkItem[][]; error?: undefined } | { seq: number; error: string; items?: undefined };

export interface ParsePool {
  /** Resolves with one list of items per record of the chunk. */
  submit(chunk: Omit<ChunkRequest, 'seq'>): Promise<WorkItem[][]>;
  close(): Promise<void>;
}

export async function createParsePool(size: number, init: WorkerInit): Promise<ParsePool> {
  const url = new URL('./parse-worker.js', import.meta.url);
  const waiting = new Map<number, { resolve: (items: WorkItem[][]) => void; reject: (e: Error) => void }>();
  let failed: Error | null = null;
  const fail = (e: Error): void => {
    failed ??= e;
    for (const w of waiting.values()) w.reject(e);
    waiting.clear();
  };
  const workers = await Promise.all(
    Array.from(
      { length: size },
      () =>
        new Promise<Worker>((resolve, reject) => {
          const w = new Worker(url, { workerData: init });
          const onError = (e: Error): void => reject(e);
          w.once('error', onError);
          w.once('message', () => {
            w.off('error', onError);
            w.on('error', fail);
            w.on('exit', (code) => {
              if (code !== 0) fail(new Error(`parse worker exited with code ${code}`));
            });
            w.on('message', (m: ChunkReply) => {
              const p = waiting.get(m.seq);
              if (!p) return;
              waiting.delete(m.seq);
              if (m.error !== undefined) p.reject(new Error(m.error));
              else p.resolve(m.items);
            });
            resolve(w);
          });
        }),
    ),
  );
  let seq = 0;
  return {
    submit(chunk) {
      if (failed) return Promise.reject(failed);
      const s = seq++;
      return new Promise((resolve, reject) => {
        waiting.set(s, { resolve, reject });
        workers[s % workers.length]!.postMessage({ seq: s, ...chunk } satisfies ChunkRequest);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
