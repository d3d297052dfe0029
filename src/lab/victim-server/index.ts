/**
 * The lab's victims served as a model team would serve them: KServe V1
 * (`/v1/models/{name}:predict`, instances `{ "smiles": ... }`), answering per
 * instance what the reference scenario's APIs answer: the prediction, a
 * confidence and a prediction interval for the affinity regressor, and a
 * probability per toxicity label for the classifier. The gateway sits in
 * front and decides how much of this leaves.
 */
import Fastify, { type FastifyInstance } from 'fastify';
import type { AddressInfo } from 'node:net';
import type { MultiLabelClassifier, Regressor } from '../types.js';

export interface VictimServerOptions {
  regressor: Regressor;
  classifier: MultiLabelClassifier;
  /** Fingerprint of a SMILES string (canonicalising as needed); null when it is not a molecule. */
  featurise: (smiles: string) => Uint8Array | null;
  /** Served model names; default `bace-pic50` and `tox21`. */
  names?: { regressor: string; classifier: string };
  /** Largest batch accepted (instances per request). */
  maxBatch?: number;
}

export interface VictimServer {
  url: string;
  /** Requests and instances answered (the lab checks that refused requests never reached the model). */
  readonly served: { requests: number; instances: number };
  close(): Promise<void>;
}

/** 95% normal interval (mean ± 1.96 σ), the width the scenario's interval fields report. */
const Z95 = 1.959964;

/** Confidence of a regression answer in (0, 1]: exp(−σ), 1 where the model is certain. */
export function regressionConfidence(std: number): number {
  return Math.exp(-Math.max(0, std));
}

export const DEFAULT_VICTIM_NAMES = { regressor: 'bace-pic50', classifier: 'tox21' } as const;

export async function startVictimServer(options: VictimServerOptions): Promise<VictimServer> {
  const names = options.names ?? DEFAULT_VICTIM_NAMES;
  const maxBatch = options.maxBatch ?? 1000;
  const served = { requests: 0, instances: 0 };
  const app: FastifyInstance = Fastify({ logger: false, bodyLimit: 16 * 1024 * 1024 });

  app.get<{ Params: { name: string } }>('/v1/models/:name', async (req, reply) => {
    const { name } = req.params;
    if (name !== names.regressor && name !== names.classifier) return reply.code(404).send({ error: 'model not found' });
    return { name, ready: true };
  });

  // KServe's verb rides on the last path segment (`/v1/models/bace-pic50:predict`).
  app.post<{ Params: { spec: string }; Body: unknown }>('/v1/models/:spec', async (req, reply) => {
    const m = /^(.+):predict$/.exec(req.params.spec);
    if (!m) return reply.code(404).send({ error: 'unknown verb' });
    const name = m[1]!;
    if (name !== names.regressor && name !== names.classifier) return reply.code(404).send({ error: 'model not found' });
    const body = req.body as { instances?: unknown } | null;
    const instances = body && Array.isArray(body.instances) ? body.instances : null;
    if (!instances || instances.length === 0) return reply.code(400).send({ error: 'body must be {"instances": [...]} with at least one instance' });
    if (instances.length > maxBatch) return reply.code(413).send({ error: `at most ${maxBatch} instances per request` });
    const fps: Uint8Array[] = [];
    for (let i = 0; i < instances.length; i++) {
      const x = instances[i];
      const smiles = typeof x === 'string' ? x : x && typeof x === 'object' ? (x as Record<string, unknown>)['smiles'] : undefined;
      const fp = typeof smiles === 'string' ? options.featurise(smiles) : null;
      if (!fp) return reply.code(400).send({ error: `instance ${i} is not a parsable molecule` });
      fps.push(fp);
    }
    served.requests++;
    served.instances += fps.length;
    if (name === names.regressor) {
      const { mean, std } = options.regressor.predict(fps);
      return {
        predictions: fps.map((_, i) => ({
          prediction: mean[i]!,
          confidence: regressionConfidence(std[i]!),
          prediction_interval: [mean[i]! - Z95 * std[i]!, mean[i]! + Z95 * std[i]!],
        })),
      };
    }
    const labels = options.classifier.labels;
    const proba = options.classifier.predictProba(fps);
    return { predictions: proba.map((p) => ({ probabilities: Array.from(p, (q) => [1 - q, q]), labels })) };
  });

  await app.listen({ host: '127.0.0.1', port: 0 });
  const port = (app.server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    close: () => app.close(),
  };
}
