import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { MwEvent } from '../../events/index.js';
import { createEngine } from '../engine.js';
import { DAY, T0, object, upload, testContext } from '../testkit.js';
import { SPLIT_NAME, splitExfil } from './index.js';

const MB = 1024 * 1024;
function run(events: MwEvent[], options: Record<string, unknown> = {}) {
  const e = createEngine({ context: testContext(), detectors: [splitExfil], detectorOptions: { 'split-exfil': options } });
  return [...e.push(events), ...e.flush()];
}
function parts(p: string, host: string, n: number, t0 = T0 + 17 * 3_600_000, name = (i: number) => `notes_a${String.fromCharCode(97 + i)}`, size = 25 * MB, entropy: number | null = 7.99): MwEvent[] {
  return Array.from({ length: n }, (_, i) => upload(p, t0 + i * 6 * 3_600_000, host, name(i), size, entropy));
}

describe('split-exfil', () => {
  it('recognises split-archive part names and not ordinary names', () => {
    for (const n of ['research_notes_aa', 'backup.tar.gz.001', 'data.part1.rar', 'x.z01', 'dump.part-0003']) assert.ok(SPLIT_NAME.test(n), n);
    for (const n of ['report.pdf', 'results_v2.xlsx', 'slides.pptx']) assert.ok(!SPLIT_NAME.test(n), n);
  });

  it('flags a run of same-size encrypted parts to a personal cloud drive', () => {
    const alerts = run(parts('alice', 'onedrive.live.com', 5));
    assert.equal(alerts.length, 1);
    const a = alerts[0]!;
    assert.equal(a.severity, 'high');
    assert.equal(a.observed, 4);
    assert.equal(a.evidence.length, 4);
    assert.match(a.explanation, /onedrive\.live\.com/);
  });

  it('leaves sanctioned destinations, ordinary documents and short runs alone', () => {
    assert.equal(run(parts('alice', 'acme-backup.s3.eu-central-1.amazonaws.com', 10)).length, 0, 'organisation host');
    assert.equal(run(parts('alice', 'backup.partner.example', 10), { sanctionedHosts: ['partner.example'] }).length, 0);
    const docs = parts('alice', 'www.dropbox.com', 8, T0, (i) => `figure-${i}.png`, 2 * MB, 6.2).map((e, i) => ({ ...e, size: 1_000_000 + i * 250_000 }));
    assert.equal(run(docs).length, 0);
    assert.equal(run(parts('alice', 'onedrive.live.com', 3)).length, 0);
  });

  it('raises a critical alert once the uploads can hold the model artifacts pulled recently', () => {
    const pull = object('alice', T0 + 3_600_000, 'get', 'models', 'toxicity-classifier/8/data/model.pth', 200 * MB);
    const alerts = run([pull, ...parts('alice', 'onedrive.live.com', 6)]);
    assert.equal(alerts.length, 2);
    const match = alerts.find((a) => a.severity === 'critical')!;
    assert.deepEqual(match.models, ['toxicity-classifier']);
    assert.equal(match.baseline, 200 * MB);
    assert.match(match.explanation, /enough to hold the 209\.7 MB of model toxicity-classifier/);
    assert.ok(match.observed >= 100 * MB);
  });

  it('alerts once per run even when the run outlives its window', () => {
    const long = parts('alice', 'onedrive.live.com', 40, T0, (i) => `n_${String.fromCharCode(97 + (i % 26))}${String.fromCharCode(97 + Math.floor(i / 26))}`);
    assert.ok(Date.parse(long[long.length - 1]!.time) - T0 > 7 * DAY);
    assert.equal(run(long).length, 1);
    // The artifact match counts the whole run, not only the uploads still inside the window.
    const pull = object('alice', T0 - DAY, 'get', 'models', 'admet-predictor/11/data/model.pth', 1500 * MB);
    const alerts = run([pull, ...long]);
    assert.equal(alerts.length, 2);
    assert.ok(Date.parse(alerts[1]!.at) - T0 > 7 * DAY, 'the match needed more than one window of uploads');
  });
});
