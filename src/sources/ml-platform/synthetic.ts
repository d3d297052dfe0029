/**
 * Deterministic synthetic MLPlatformLogs lines for benchmarks and load tests
 * (the scenario simulator writes the realistic traffic). The mix follows the
 * reference scenario's platform: mostly prediction requests in batches of up
 * to 100 molecules drawn from a bounded pool, with registry and bucket events.
 */
import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { mulberry32 } from '../../util/prng.js';


export interface SyntheticOptions {
  lines: number;
  seed?: number;
  /** Molecules the requests draw from (real traffic repeats molecules). */
  smilesPool: readonly string[];
  /** Largest batch (the scenario's APIs accept up to 100). */
  maxBatch?: number;
  start?: string;
}

const MODELS = ['binding-affinity-predictor', 'toxicity-classifier', 'admet-predictor', 'trial-success-predictor'];

export async function writeSyntheticMlPlatformLogs(path: string, o: SyntheticOptions): Promise<number> {
  const rnd = mulberry32(o.seed ?? 1);
  const out = createWriteStream(path);
  const start = Date.parse(o.start ?? '2026-02-01T00:00:00Z');
  const maxBatch = o.maxBatch ?? 100;
  let bytes = 0;
  let chunk = '';
  for (let i = 0; i < o.lines; i++) {
    const t = new Date(start + i * 500 + Math.floor(rnd() * 400)).toISOString();
    const user = `user${Math.floor(rnd() * 200)}@pharma.example`;
    const model = MODELS[Math.floor(rnd() * MODELS.length)]!;
    const r = rnd();
    let rec: Record<string, unknown>;
    if (r < 0.94) {
      // Heavy-tailed batch sizes: most requests are small, some are full batches.
      const batch = Math.max(1, Math.min(maxBatch, Math.floor(Math.exp(rnd() * Math.log(maxBatch)))));
      const inst: unknown[] = [];
      const preds: unknown[] = [];
      for (let b = 0; b < batch; b++) {
        inst.push({ smiles: o.smilesPool[Math.floor(rnd() * o.smilesPool.length)]!, target: 'BACE1' });
        const p = 4 + rnd() * 5;
        preds.push({ prediction: +p.toFixed(3), confidence: +rnd().toFixed(3), interval: [+(p - 0.4).toFixed(3), +(p + 0.4).toFixed(3)] });
      }
      rec = {
        TimeGenerated: t,
        EventType: 'prediction_request',
        UserId: user,
        ModelName: model,
        ModelVersion: String(1 + Math.floor(rnd() * 9)),
        InputData: JSON.stringify({ data: { ndarray: inst } }),
        OutputData: JSON.stringify({ predictions: preds }),
        BatchSize: batch,
        Details: { api_key_id: `key-${user.slice(4, 7)}`, source_ip: `10.20.${Math.floor(rnd() * 8)}.${Math.floor(rnd() * 250)}`, status: 200, latency_ms: +(rnd() * 80).toFixed(1) },
        UserContext: { team: 'drug-discovery', role: 'researcher' },
      };
    } else if (r < 0.97) {
      rec = { TimeGenerated: t, EventType: 'registry_get', UserId: user, ModelName: model, Details: { status: 200 } };
    } else if (r < 0.99) {
      rec = { TimeGenerated: t, EventType: 'registry_list', UserId: user, Details: { status: 200 } };
    } else {
      rec = {
        TimeGenerated: t,
        EventType: 'model_download',
        UserId: user,
        ModelName: model,
        ModelVersion: '3',
        Details: { artifact_uri: `s3://ml-models/${model}/3/model.tar.gz`, artifact_size_bytes: Math.floor(2e8 + rnd() * 1e9), status: 200 },
      };
    }
    chunk += JSON.stringify(rec) + '\n';
    if (chunk.length > 1 << 20) {
      bytes += Buffer.byteLength(chunk);
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  bytes += Buffer.byteLength(chunk);
  out.end(chunk);
  await once(out, 'finish');
  return bytes;
}
