import { strict as assert } from 'node:assert';
import { after, before, describe, it } from 'node:test';
import { request } from 'undici';
import type { MultiLabelClassifier, Regressor } from '../types.js';
import { startVictimServer, type VictimServer } from './index.js';

// Models that are plain functions of the fingerprint, so the test can say what each answer must be.
const bits = (fp: Uint8Array): number => fp.reduce((s, b) => s + (b & 1), 0);
const regressor: Regressor = {
  predict: (x) => ({ mean: Float64Array.from(x, (f) => bits(f)), std: Float64Array.from(x, (f) => 0.1 * (1 + f[0]!)) }),
};
const classifier: MultiLabelClassifier = {
  labels: ['NR-AR', 'SR-p53'],
  predictProba: (x) => x.map((f) => Float64Array.from([f[0]! / 255, 1 - f[0]! / 255])),
};
const featurise = (s: string): Uint8Array | null => (/^[A-Za-z0-9()=#]+$/.test(s) ? Uint8Array.from([s.length, 1, 0, 1]) : null);

async function post(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const r = await request(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: r.statusCode, json: (await r.body.json()) as Record<string, unknown> };
}

describe('lab victim server (KServe V1)', () => {
  let s: VictimServer;
  before(async () => {
    s = await startVictimServer({ regressor, classifier, featurise, maxBatch: 3 });
  });
  after(() => s.close());

  it('answers the regressor with prediction, confidence and a 95% interval around it', async () => {
    const r = await post(`${s.url}/v1/models/bace-pic50:predict`, { instances: [{ smiles: 'CCO' }, 'c1ccccc1'] });
    assert.equal(r.status, 200);
    const p = r.json['predictions'] as Array<{ prediction: number; confidence: number; prediction_interval: [number, number] }>;
    assert.equal(p.length, 2);
    assert.equal(p[0]!.prediction, 3, 'sum of low bits of [3,1,0,1]');
    const std = 0.1 * (1 + 3);
    assert.ok(Math.abs(p[0]!.prediction_interval[1] - p[0]!.prediction_interval[0] - 2 * 1.959964 * std) < 1e-9);
    assert.ok(Math.abs(p[0]!.confidence - Math.exp(-std)) < 1e-12);
    assert.ok(p[1]!.confidence < p[0]!.confidence, 'a wider interval (longer input here) means a lower confidence');
  });

  it('answers the classifier with one distribution per label', async () => {
    const r = await post(`${s.url}/v1/models/tox21:predict`, { instances: [{ smiles: 'CCCCCCCCCC' }] });
    assert.equal(r.status, 200);
    const p = (r.json['predictions'] as Array<{ probabilities: number[][]; labels: string[] }>)[0]!;
    assert.deepEqual(p.labels, ['NR-AR', 'SR-p53']);
    assert.equal(p.probabilities.length, 2);
    for (const row of p.probabilities) assert.ok(Math.abs(row[0]! + row[1]! - 1) < 1e-12);
    assert.ok(Math.abs(p.probabilities[0]![1]! - 10 / 255) < 1e-12);
  });

  it('refuses what is not a molecule, an empty or oversized batch and unknown models, and serves nothing for them', async () => {
    const before = s.served.instances;
    assert.equal((await post(`${s.url}/v1/models/bace-pic50:predict`, { instances: [{ smiles: 'C<script>' }] })).status, 400);
    assert.equal((await post(`${s.url}/v1/models/bace-pic50:predict`, { instances: [] })).status, 400);
    assert.equal((await post(`${s.url}/v1/models/bace-pic50:predict`, { nope: 1 })).status, 400);
    assert.equal((await post(`${s.url}/v1/models/bace-pic50:predict`, { instances: ['C', 'C', 'C', 'C'] })).status, 413);
    assert.equal((await post(`${s.url}/v1/models/other:predict`, { instances: ['C'] })).status, 404);
    assert.equal(s.served.instances, before);
    const ready = await request(`${s.url}/v1/models/tox21`);
    assert.equal(ready.statusCode, 200);
    assert.deepEqual(await ready.body.json(), { name: 'tox21', ready: true });
  });
});
