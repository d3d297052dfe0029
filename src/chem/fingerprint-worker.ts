/**
 * Worker thread of the fingerprint pool: loads RDKit MinimalLib once and
 * fingerprints the batches of canonical SMILES the pool posts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createChem } from './index.js';

interface Job {
  id: number;
  smiles: string[];
}

const options = (workerData ?? {}) as { radius?: number; nBits?: number };
// No cache: the pool sends each distinct molecule once.
const chem = await createChem({ ...options, cacheSize: 1 });
const port = parentPort!;
port.on('message', (job: Job) => {
  const fps = job.smiles.map((s) => chem.fingerprint(s));
  const transfer = fps.filter((f): f is Uint8Array => f !== null).map((f) => f.buffer as ArrayBuffer);
  port.postMessage({ id: job.id, fps }, transfer);
});
port.postMessage({ ready: true });
