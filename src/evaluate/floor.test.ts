/**
 * The quality floor of issue 4 on small simulated scenarios, end to end
 * (simulate, ingest, detect, evaluate), for the phases our recon,
 * registry-theft and split-exfil detectors own and for incident opening:
 * each phase alerted within 24 simulated hours of its start, the attacker's
 * incident within 24 hours of the first malicious act, and no incident or
 * high/critical alert on a benign principal or a decoy. The full matrix
 * (seeds x variants, every phase) is `npm run bench:evaluate`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { detectStore } from '../detect/run.js';
import { ingestPaths } from '../ingest/index.js';
import { simulate } from '../sim/index.js';
import type { Variant } from '../sim/index.js';
import { sharedChem, withMemoryStore, withTempDir } from '../test-support/index.js';
import { evaluate, parseTruth } from './index.js';

// Extraction and membership volumes shrunk so RDKit canonicalisation stays quick; recon, artifact theft and exfiltration as in the scenario.
const SMALL = {
  attack: { extraction: { molecules: [1500, 2000] }, membershipInference: { queries: [600, 900] } },
  decoys: { virtualScreening: { days: [2, 3], moleculesPerDay: [200, 400] } },
  library: { size: [3000, 4000] },
};
const OWNED = ['recon', 'artifact_theft', 'exfiltration'] as const;

const CASES: Array<{ seed: number; variant: Variant }> = [
  { seed: 21, variant: 'baseline' },
  { seed: 22, variant: 'low-and-slow' },
  { seed: 23, variant: 'sybil' },
];

for (const c of CASES) {
  test(`quality floor for recon, artifact theft, exfiltration and incident opening: seed ${c.seed}, ${c.variant}`, async () => {
    await withTempDir(async (dir) => {
      const sim = await simulate({ seed: c.seed, out: dir, days: 60, scale: 0.05, variant: c.variant, config: SMALL });
      const truth = parseTruth(sim.truth, join(dir, 'truth.json'));
      const e = await withMemoryStore(async (store) => {
        await ingestPaths([dir], { store, chem: await sharedChem() });
        return evaluate(truth, await detectStore(store));
      });
      for (const id of OWNED) {
        const p = e.phases.find((x) => x.id === id);
        assert.ok(p, `${id} is a phase of the scenario`);
        assert.ok(p.within_24h, `${id} alerted within 24 h of its start (${p.start}): ${JSON.stringify(p.first_alert)} after ${p.hours_to_detect} h`);
      }
      assert.ok(e.incident, 'the attacker has an incident');
      assert.ok(e.incident.within_24h, `incident ${e.incident.hours_after_first_act} h after the first malicious act`);
      assert.equal(e.benign.incidents + e.benign.high_alerts, 0, JSON.stringify(e.benign.principals));
      for (const d of e.decoys) assert.equal(d.incidents + d.high_alerts, 0, `decoy ${d.behaviour}: ${JSON.stringify(d)}`);
      assert.equal(e.unknown.incidents + e.unknown.high_alerts, 0, JSON.stringify(e.unknown.principals));
    });
  });
}
