/**
 * Parse worker entry: hashes, parses, validates and encodes chunks of framed
 * line records for one file (src/ingest/workers.ts sends them, in order).
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createChem } from '../chem/index.js';
import { createPrincipalResolver } from '../events/principal.js';
import { parserByFormat } from '../sources/index.js';
import type { ParseContext } from '../sources/types.js';
import { sha256Hex } from '../util/hash.js';
import type { ChunkReply, ChunkRequest, WorkerInit } from './workers.js';
import { processRecord } from './work.js';

const init = workerData as WorkerInit;
const parser = parserByFormat(init.format);
const resolver = createPrincipalResolver(init.directory);
const chem = await createChem();
const ctx: ParseContext = {
  file: init.file,
  format: parser.format,
  resolvePrincipal: (raw) => resolver.resolve(raw),
  canonicalSmiles: (s) => chem.canonical(s),
  options: init.parserOptions,
};

parentPort!.on('message', (m: ChunkRequest) => {
  let reply: ChunkReply;
  try {
    const items = m.texts.map((text, i) =>
      processRecord(parser, { text, line: m.lines[i]!, offset: m.offsets[i]!, hash: sha256Hex(text) }, ctx),
    );
    reply = { seq: m.seq, items };
  } catch (e) {
    reply = { seq: m.seq, error: (e as Error).message };
  }
  parentPort!.postMessage(reply);
});
parentPort!.postMessage({ ready: true });
