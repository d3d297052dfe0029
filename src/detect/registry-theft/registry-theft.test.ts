import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { T0, hr, object, registry, testContext } from '../testkit.js';
import { registryTheft } from './index.js';

const H = 3_600_000;
function run(events: MwEvent[]) {
  const e = createEngine({ context: testContext(), detectors: [registryTheft] });
  return [...e.push(events), ...e.flush()];
}
function pullWeights(p: string, model: string, t: number, bytes = 800_000_000): MwEvent[] {
  return [
    object(p, t, 'get', 'models', `${model}/3/MLmodel`, 700),
    object(p, t + 1000, 'get', 'models', `${model}/3/conda.yaml`, 300),
    object(p, t + 2000, 'get', 'models', `${model}/3/data/model.pth`, bytes),
  ];
}

describe('registry-theft', () => {
  it('flags another team\'s CONFIDENTIAL model pulled from the bucket, and names the reason', () => {
    const alerts = run(pullWeights('alice', 'kinase-selectivity', T0 + 10 * H));
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.severity, 'medium');
    assert.match(alerts[0]!.explanation, /owned by the drug-discovery team/);
    assert.equal(alerts[0]!.evidence.length, 3);
    assert.deepEqual(alerts[0]!.models, ['kinase-selectivity']);
  });

  it('leaves pulls of the principal\'s own project alone, and metadata-only reads', () => {
    assert.equal(run(pullWeights('alice', 'binding-affinity-predictor', T0 + 10 * H)).length, 0);
    assert.equal(run(pullWeights('carol', 'kinase-selectivity', T0 + 10 * H)).length, 0);
    assert.equal(run(pullWeights('alice', 'kinase-selectivity', T0 + 10 * H, 1000)).length, 0);
  });

  it('raises a get-download-uri followed by large reads of a TRADE_SECRET model outside the projects', () => {
    const t = T0 + 10 * H;
    const plain = run(pullWeights('alice', 'toxicity-classifier', t));
    const uri = registry('alice', t - 60_000, 'get_download_uri', 'toxicity-classifier');
    const withUri = run([uri, ...pullWeights('alice', 'toxicity-classifier', t)]);
    assert.equal(plain[0]!.severity, 'medium', 'same team, outside projects');
    assert.equal(withUri[0]!.severity, 'high');
    assert.equal(withUri[0]!.evidence[0], uri.id);
    assert.match(withUri[0]!.explanation, /right after requesting its download URI/);
  });

  it('makes any TRADE_SECRET pull during a notice period critical, even of an own-project model', () => {
    const resign = hr('alice', T0, 'resignation_submitted', '2026-02-02', '2026-03-02');
    const alerts = run([resign, ...pullWeights('alice', 'binding-affinity-predictor', T0 + 3 * 24 * H)]);
    assert.equal(alerts.length, 1);
    assert.equal(alerts[0]!.severity, 'critical');
    assert.match(alerts[0]!.explanation, /notice period/);
    // Long after the last working day plus margin the rule no longer applies.
    assert.equal(run([resign, ...pullWeights('alice', 'binding-affinity-predictor', T0 + 60 * 24 * H)]).length, 0);
  });

  it('counts MLflow artifact downloads and alerts once per pull session', () => {
    const t = T0 + 10 * H;
    const events = [
      registry('alice', t, 'download_artifact', null, 400_000_000, 'mlflow-artifacts:/kinase-selectivity/2/data/model.pth'),
      registry('alice', t + 1000, 'download_artifact', null, 400_000_000, 'mlflow-artifacts:/kinase-selectivity/2/data/extra.pth'),
      registry('alice', t + 10 * H, 'download_artifact', 'kinase-selectivity', 400_000_000),
    ];
    const alerts = run(events);
    assert.equal(alerts.length, 2, 'two sessions separated by more than the session gap');
    assert.notEqual(alerts[0]!.id, alerts[1]!.id);
  });
});
