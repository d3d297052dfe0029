/**
 * Cold fingerprint work spread over worker threads. RDKit's WebAssembly build
 * costs roughly 0.3-0.6 ms per molecule to parse and fingerprint, so a store
 * with a few hundred thousand distinct molecules is minutes of one core;
 * each worker loads its own RDKit (about a second) and takes batches.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';

export interface FingerprintPoolOptions {
  /** Worker threads (default: available cores minus one, at least 1, at most 8). */
  workers?: number;
  /** Molecules per message (default 256: large enough that messaging costs nothing next to RDKit). */
  batchSize?: number;
  radius?: number;
  nBits?: number;
  /** Called after each batch with molecules done and total. */
  onProgress?: (done: number, total: number) => void;
}

export function defaultWorkers(): number {
  return Math.max(1, Math.min(8, availableParallelism() - 1));
}

/**
 * Fingerprints every SMILES (null where RDKit cannot parse it), in input
 * order. The result does not depend on the number of workers.
 */
export async function fingerprintAll(smiles: readonly string[], options: FingerprintPoolOptions = {}): Promise<Array<Uint8Array | null>> {
  const out = new Array<Uint8Array | null>(smiles.length).fill(null);
  if (smiles.length === 0) return out;
  const batch = options.batchSize ?? 256;
  const jobs: Array<{ id: number; start: number; end: number }> = [];
  for (let start = 0; start < smiles.length; start += batch) jobs.push({ id: jobs.length, start, end: Math.min(smiles.length, start + batch) });
  const n = Math.max(1, Math.min(options.workers ?? defaultWorkers(), jobs.length));
  let next = 0;
  let done = 0;
  const workers: Worker[] = [];
  try {
    await Promise.all(
      Array.from({ length: n }, () =>
        new Promise<void>((resolve, reject) => {
          const w = new Worker(new URL('./fingerprint-worker.js', import.meta.url), { workerData: { radius: options.radius, nBits: options.nBits } });
          workers.push(w);
          let current: (typeof jobs)[number] | undefined;
          const send = (): void => {
            current = jobs[next++];
            if (!current) {
              resolve();
              return;
            }
            w.postMessage({ id: current.id, smiles: smiles.slice(current.start, current.end) });
          };
          w.on('message', (m: { ready?: boolean; id?: number; fps?: Array<Uint8Array | null> }) => {
            if (m.ready) return send();
            const job = current!;
            m.fps!.forEach((fp, i) => (out[job.start + i] = fp));
            done += job.end - job.start;
            options.onProgress?.(done, smiles.length);
            send();
          });
          w.on('error', reject);
          w.on('exit', (code) => {
            if (current) reject(new Error(`fingerprint worker exited with code ${code}`));
          });
        }),
      ),
    );
  } finally {
    await Promise.all(workers.map((w) => w.terminate()));
  }
  return out;
}
