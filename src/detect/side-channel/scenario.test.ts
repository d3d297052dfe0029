/**
 * The three probing detectors (side-channel, membership, collusion) on the
 * simulated company, over seeds and variants they were not tuned on: each
 * catches its phase of the insider's campaign within 24 simulated hours, and
 * raises nothing high or critical on benign principals or decoys. One
 * simulation per case is shared by the three detectors to keep the test short.
 */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestPaths } from '../../ingest/index.js';
import { simulate } from '../../sim/index.js';
import { openStore } from '../../store/index.js';
import type { Alert } from '../alert.js';
import { contextFromStore, createDetectionEngine } from '../index.js';
import { collusion } from '../collusion/index.js';
import { membership } from '../membership/index.js';
import { sideChannel } from './index.js';

// Small but complete: fewer people and molecules so RDKit canonicalisation stays quick. Extraction
// keeps enough batches for the borrowed keys to be used on more than one day, and membership
// inference walks as many library compounds a day as the low-and-slow variant does.
const SMALL = {
  attack: { extraction: { molecules: [4000, 5000] }, membershipInference: { queries: [1500, 2000] } },
  decoys: { virtualScreening: { days: [2, 3], moleculesPerDay: [200, 400] } },
  library: { size: [3000, 4000] },
};

interface Truth {
  attacker: string;
  accomplices: string[];
  phases: Array<{ id: string; start: string }>;
  decoys: Array<{ principal: string }>;
}

async function scenario(seed: number, variant: 'baseline' | 'sybil' | 'low-and-slow'): Promise<{ alerts: Alert[]; truth: Truth }> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-probing-'));
  const store = await openStore({ path: ':memory:' });
  try {
    await simulate({ seed, out: dir, days: 45, scale: 0.05, variant, config: SMALL });
    await ingestPaths([dir], { store });
    const context = await contextFromStore(store, { chem: true });
    const engine = createDetectionEngine({ context, detectors: [sideChannel, membership, collusion] });
    const alerts: Alert[] = [];
    const events = [];
    for await (const e of store.replay({ order: 'time' })) events.push(e);
    alerts.push(...engine.push(events), ...engine.flush());
    return { alerts, truth: JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth };
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

function hoursToFirst(alerts: Alert[], truth: Truth, detector: string, phase: string): number {
  const start = Date.parse(truth.phases.find((p) => p.id === phase)!.start);
  const first = alerts.filter((a) => a.detector === detector && a.principal === truth.attacker && Date.parse(a.at) >= start).map((a) => Date.parse(a.at));
  return first.length ? (Math.min(...first) - start) / 3_600_000 : Infinity;
}

describe('probing detectors on the simulated company', () => {
  for (const [seed, variant] of [[41, 'sybil'], [42, 'low-and-slow']] as const) {
    it(`catch side channel, membership inference${variant === 'sybil' ? ' and the Sybil keys' : ''} within 24 h, nothing high on the innocent (seed ${seed}, ${variant})`, async () => {
      const { alerts, truth } = await scenario(seed, variant);
      const sc = hoursToFirst(alerts, truth, 'side-channel', 'side_channel');
      const mi = hoursToFirst(alerts, truth, 'membership', 'membership_inference');
      assert.ok(sc <= 24, `side channel caught after ${sc} h`);
      assert.ok(mi <= 24, `membership inference caught after ${mi} h`);
      if (variant === 'sybil') {
        const col = hoursToFirst(alerts, truth, 'collusion', 'api_extraction');
        assert.ok(col <= 24, `borrowed keys caught after ${col} h`);
        for (const a of alerts.filter((x) => x.detector === 'collusion')) assert.equal(a.principal, truth.attacker, 'collusion lands on the actor');
        assert.ok(alerts.some((a) => a.detector === 'collusion' && a.severity === 'high'));
      }
      const innocent = alerts.filter((a) => a.principal !== truth.attacker && !truth.accomplices.includes(a.principal));
      const loud = innocent.filter((a) => a.severity === 'high' || a.severity === 'critical');
      assert.deepEqual(loud.map((a) => `${a.detector} ${a.principal} ${a.severity}`), []);
    });
  }
});
