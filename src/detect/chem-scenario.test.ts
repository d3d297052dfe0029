/**
 * The chemistry-aware detectors on the simulated scenario, several seeds:
 * simulate (small), ingest with RDKit canonicalisation, replay with RDKit
 * fingerprints, and check the insider's API extraction is flagged within a
 * day of its start while benign principals and decoys (the announced virtual
 * screen above all) get no high or critical alert.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ingestPaths } from '../ingest/index.js';
import { OUTPUT_FILES, STATIC_FILES, simulate } from '../sim/index.js';
import { readTruth } from '../sim/readback.js';
import { openStore } from '../store/index.js';
import { coverage } from './coverage/index.js';
import { focusDrift } from './focus-drift/index.js';
import { contextFromStore, replayStore } from './index.js';
import { severityRank } from './alert.js';

// Shrunk volumes keep RDKit canonicalisation at ingest quick; extraction is then a few hundred molecules a day.
const SMALL = {
  attack: { extraction: { molecules: [2500, 3000] }, membershipInference: { queries: [300, 400] } },
  decoys: { virtualScreening: { days: [2, 3], moleculesPerDay: [400, 600] } },
  library: { size: [3000, 4000] },
};
const HOUR = 3_600_000;

for (const seed of [2, 5]) {
  test(`coverage and focus-drift flag the insider's extraction and spare decoys (seed ${seed})`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-chem-scenario-'));
    const store = await openStore({ path: ':memory:' });
    try {
      await simulate({ seed, out: dir, days: 45, scale: 0.05, config: SMALL });
      const logs = [...Object.values(OUTPUT_FILES), STATIC_FILES.directory, STATIC_FILES.inventory].map((f) => join(dir, f));
      await ingestPaths(logs, { store });
      const truth = readTruth(dir);
      const context = await contextFromStore(store, { chem: true });
      const { alerts } = await replayStore(store, { context, detectors: [coverage, focusDrift] });

      const extraction = truth.phases.find((p) => p.id === 'api_extraction')!;
      const start = Date.parse(extraction.start);
      const onAttacker = alerts.filter((a) => a.principal === truth.attacker && Date.parse(a.at) >= start).sort((a, b) => Date.parse(a.at) - Date.parse(b.at));
      assert.ok(onAttacker.length > 0, 'the insider is flagged');
      const hours = (Date.parse(onAttacker[0]!.at) - start) / HOUR;
      assert.ok(hours <= 24, `first alert ${hours.toFixed(1)} h after extraction started`);
      assert.ok(onAttacker.some((a) => severityRank(a.severity) >= severityRank('medium')));

      const innocent = new Set([...truth.benign, ...truth.decoys.map((d) => d.principal)]);
      const serious = alerts.filter((a) => innocent.has(a.principal) && severityRank(a.severity) >= severityRank('high'));
      assert.deepEqual(serious.map((a) => `${a.detector} ${a.severity} ${a.principal}: ${a.explanation}`), []);
      // The announced virtual screen is silent by default, and one low alert naming the project with `announcedAlerts: 'low'`.
      const screener = truth.decoys.find((d) => d.behaviour === 'virtual_screening_campaign')!.principal;
      assert.deepEqual(alerts.filter((x) => x.principal === screener), []);
      const low = { announcedAlerts: 'low' };
      const loud = await replayStore(store, { context, detectors: [coverage, focusDrift], detectorOptions: { coverage: low, 'focus-drift': low } });
      const onScreener = loud.alerts.filter((x) => x.principal === screener);
      assert.ok(onScreener.length <= 2);
      for (const a of onScreener) {
        assert.equal(a.severity, 'low');
        assert.match(a.explanation, /announces project virtual-screening-/);
      }
    } finally {
      await store.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
}
