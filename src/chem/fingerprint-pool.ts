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
 * A pool of workers kept alive across calls, for a stream that meets new
 * molecules chunk by chunk (the benchmark, live detection): RDKit loads once
 * per worker, not once per chunk.
 */
export interface FingerprintPool {
  /** Fingerprints every SMILES (null where RDKit cannot parse it), in input order. */
  fingerprint(smiles: readonly string[], onProgress?: (done: number, total: number) => void): Promise<Array<Uint8Array | null>>;
  /** Stops the workers; pending calls reject. */
  close(): Promise<void>;
}

interface Job {
  smiles: string[];
  resolve: (fps: Array<Uint8Array | null>) => void;
  reject: (e: Error) => void;
}

export function createFingerprintPool(options: Omit<FingerprintPoolOptions, 'onProgress'> = {}): FingerprintPool {
  const batch = options.batchSize ?? 256;
  const queue: Job[] = [];
  const idle: Worker[] = [];
  const busy = new Map<Worker, Job>();
  const workers: Worker[] = [];
  let failure: Error | undefined;
  const fail = (e: Error): void => {
    failure ??= e;
    for (const j of [...busy.values(), ...queue.splice(0)]) j.reject(failure);
    busy.clear();
  };
  const dispatch = (): void => {
    while (idle.length && queue.length) {
      const w = idle.pop()!;
      const job = queue.shift()!;
      busy.set(w, job);
      w.postMessage({ id: 0, smiles: job.smiles });
    }
  };
  for (let i = 0; i < Math.max(1, options.workers ?? defaultWorkers()); i++) {
    const w = new Worker(new URL('./fingerprint-worker.js', import.meta.url), { workerData: { radius: options.radius, nBits: options.nBits } });
    workers.push(w);
    w.on('message', (m: { ready?: boolean; fps?: Array<Uint8Array | null> }) => {
      if (!m.ready) {
        const job = busy.get(w);
        busy.delete(w);
        job?.resolve(m.fps!);
      }
      idle.push(w);
      dispatch();
    });
    w.on('error', fail);
    w.on('exit', (code) => {
      if (busy.has(w)) fail(new Error(`fingerprint worker exited with code ${code}`));
    });
  }
  return {
    async fingerprint(smiles, onProgress) {
      if (failure) throw failure;
      let done = 0;
      const parts: Array<Promise<Array<Uint8Array | null>>> = [];
      for (let start = 0; start < smiles.length; start += batch) {
        const slice = smiles.slice(start, start + batch);
        parts.push(
          new Promise<Array<Uint8Array | null>>((resolve, reject) => queue.push({ smiles: slice, resolve, reject })).then((fps) => {
            done += slice.length;
            onProgress?.(done, smiles.length);
            return fps;
          }),
        );
      }
      dispatch();
      return (await Promise.all(parts)).flat();
    },
    async close() {
      fail(new Error('fingerprint pool closed'));
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}

/**
 * Fingerprints every SMILES (null where RDKit cannot parse it), in input
 * order. The result does not depend on the number of workers.
 */
export async function fingerprintAll(smiles: readonly string[], options: FingerprintPoolOptions = {}): Promise<Array<Uint8Array | null>> {
  if (smiles.length === 0) return [];
  const batch = options.batchSize ?? 256;
  const workers = Math.max(1, Math.min(options.workers ?? defaultWorkers(), Math.ceil(smiles.length / batch)));
  const pool = createFingerprintPool({ ...options, workers });
  try {
    return await pool.fingerprint(smiles, options.onProgress);
  } finally {
    await pool.close();
  }
}
