/** Scoring of hand-made alerts and incidents against a hand-made truth. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Incident } from '../correlate/index.js';
import { makeAlert } from '../detect/alert.js';
import type { Alert, Severity } from '../detect/alert.js';
import { MwError } from '../errors/index.js';
import { withTempDir } from '../test-support/index.js';
import { evaluate, formatEvaluation, parseTruth, readTruth } from './index.js';
import type { Truth } from './index.js';

const H = 3_600_000;
const T0 = Date.parse('2026-03-02T08:00:00Z');
const iso = (ms: number): string => new Date(ms).toISOString();

const truth: Truth = parseTruth(
  {
    seed: 9,
    variant: 'sybil',
    attacker: 'mallory',
    accomplices: ['svc-batch'],
    resignation: iso(T0 - 24 * H),
    phases: [
      { id: 'recon', start: iso(T0), end: iso(T0 + 2 * H), techniques: ['T1078', 'AML.T0007'] },
      { id: 'api_extraction', start: iso(T0 + 48 * H), end: iso(T0 + 400 * H), techniques: ['AML.T0024.002', 'T1119'] },
      { id: 'artifact_theft', start: iso(T0 + 100 * H), end: iso(T0 + 101 * H), techniques: ['AML.T0048.004'] },
      { id: 'membership_inference', start: iso(T0 + 200 * H), end: iso(T0 + 300 * H), techniques: ['AML.T0024.000'] },
    ],
    decoys: [
      { principal: 'loadtest', behaviour: 'approved_load_test' },
      { principal: 'screener', behaviour: 'virtual_screening_campaign' },
    ],
    benign: ['alice', 'bob', 'loadtest'],
  },
  'hand-made',
);

let n = 0;
function alert(detector: string, principal: string, atMs: number, severity: Severity = 'medium', techniques: Alert['techniques'] = ['AML.T0007', 'T1078']): Alert {
  n++;
  return makeAlert({ detector, severity, principal, models: [], atMs, windowStartMs: atMs - H, windowEndMs: atMs, techniques, observed: 1, baseline: 0, threshold: 1, evidence: ['0'.repeat(31) + (n % 10)], explanation: 'a hand-made alert for scoring', key: String(n) });
}
function incident(principal: string, openedMs: number, alerts: Alert[]): Incident {
  return { id: 'f'.repeat(24), principals: [principal], opened_at: iso(openedMs), updated_at: iso(openedMs), severity: 'high', risk: 60, phases: [], vectors: [], models: [], alerts: alerts.map((a) => a.id), timeline: [] };
}

test('per-phase time to detect: first attributed alert on the attacker or an accomplice at or after the phase start', () => {
  const early = alert('recon', 'mallory', T0 - 5 * H); // before the phase: does not count
  const recon = alert('recon', 'mallory', T0 + 3 * H);
  const volumeByAccomplice = alert('query-volume', 'svc-batch', T0 + 60 * H, 'medium', ['AML.T0024.002', 'T1119']);
  const volumeLate = alert('query-volume', 'mallory', T0 + 90 * H, 'medium', ['AML.T0024.002', 'T1119']);
  const theft = alert('registry-theft', 'mallory', T0 + 130 * H, 'critical', ['AML.T0048.004', 'T1530']);
  // A detector the correlator does not know: attributed by its ATLAS technique.
  const membership = alert('membership-new', 'mallory', T0 + 210 * H, 'medium', ['AML.T0024.000', 'T1078']);
  const bobRecon = alert('recon', 'bob', T0 + 1 * H);
  // An accomplice's incident from before the attack is not the attacker's incident.
  const accompliceBefore = incident('svc-batch', T0 - 10 * H, []);
  const e = evaluate(truth, { alerts: [theft, volumeLate, membership, recon, early, volumeByAccomplice, bobRecon], incidents: [accompliceBefore, incident('mallory', T0 + 130 * H, [theft])] });

  const byId = Object.fromEntries(e.phases.map((p) => [p.id, p]));
  assert.equal(byId['recon']!.hours_to_detect, 3);
  assert.equal(byId['recon']!.first_alert!.id, recon.id);
  assert.equal(byId['recon']!.within_24h, true);
  assert.equal(byId['api_extraction']!.hours_to_detect, 12);
  assert.equal(byId['api_extraction']!.first_alert!.principal, 'svc-batch');
  assert.equal(byId['artifact_theft']!.hours_to_detect, 30);
  assert.equal(byId['artifact_theft']!.within_24h, false);
  // Unattributed alerts are reported as context only.
  assert.equal(byId['artifact_theft']!.first_any_alert!.id, theft.id);
  assert.equal(byId['membership_inference']!.hours_to_detect, 10);
  assert.equal(e.first_act, iso(T0));
  assert.equal(e.incident!.hours_after_first_act, 130);
  assert.equal(e.incident!.within_24h, false);
  assert.equal(e.floor.phases_within_24h, false);
  assert.equal(e.floor.met, false);
  // bob has one medium alert: reported, not a false positive by the floor's definition.
  assert.equal(e.benign.alerts, 1);
  assert.equal(e.benign.high_alerts, 0);
  assert.equal(e.floor.no_false_positives, true);
});

test('false positives: incidents and high or critical alerts on benign principals, per decoy, and on unknown principals', () => {
  const a1 = alert('query-volume', 'loadtest', T0, 'high');
  const a2 = alert('query-volume', 'screener', T0, 'low');
  const a3 = alert('split-exfil', 'alice', T0, 'critical');
  const a4 = alert('recon', 'AKIA-UNRESOLVED', T0, 'high');
  const attackerRecon = alert('recon', 'mallory', T0 + H);
  const e = evaluate(truth, {
    alerts: [a1, a2, a3, a4, attackerRecon],
    incidents: [incident('alice', T0, [a3]), incident('mallory', T0 + 20 * H, [attackerRecon])],
  });
  // loadtest is a decoy even though it is also listed as benign: counted once, under decoys.
  assert.deepEqual(e.benign.principals.map((p) => p.principal), ['alice']);
  assert.equal(e.benign.incidents, 1);
  assert.equal(e.benign.high_alerts, 1);
  const loadtest = e.decoys.find((d) => d.behaviour === 'approved_load_test')!;
  assert.deepEqual([loadtest.incidents, loadtest.high_alerts, loadtest.alerts], [0, 1, 1]);
  const screener = e.decoys.find((d) => d.behaviour === 'virtual_screening_campaign')!;
  assert.deepEqual([screener.incidents, screener.high_alerts, screener.alerts], [0, 0, 1]);
  assert.deepEqual(e.unknown.principals.map((p) => p.principal), ['AKIA-UNRESOLVED']);
  assert.equal(e.incident!.hours_after_first_act, 20);
  assert.equal(e.incident!.within_24h, true);
  assert.equal(e.floor.no_false_positives, false);
  const text = formatEvaluation(e);
  assert.match(text, /FP +benign principals: 1 incidents, 1 high\/critical alerts/);
  assert.match(text, /decoy approved_load_test \(loadtest\): 0 incidents, 1 high\/critical/);
  assert.match(text, /quality floor \(issue 4\): NOT met/);
});

test('no incident on the attacker is a miss, and the floor holds only when everything holds', () => {
  const e = evaluate(truth, { alerts: [], incidents: [] });
  assert.equal(e.incident, null);
  assert.ok(e.phases.every((p) => p.first_alert === null && p.hours_to_detect === null && !p.within_24h));
  assert.deepEqual(e.floor, { phases_within_24h: false, incident_within_24h: false, no_false_positives: true, met: false });
  assert.match(formatEvaluation(e), /MISS no incident on the attacker/);
});

test('a bad truth file is one MW_ERR_TRUTH naming the file and every wrong field', async () => {
  await withTempDir(async (dir) => {
    const f = join(dir, 'truth.json');
    await writeFile(f, JSON.stringify({ seed: -1, variant: 'baseline', attacker: '', phases: [{ id: 'teleport', start: 'yesterday', end: '2026-01-01T00:00:00Z', techniques: [] }], decoys: [], benign: [] }));
    await assert.rejects(readTruth(f), (e: unknown) => {
      assert.ok(e instanceof MwError);
      assert.equal(e.code, 'MW_ERR_TRUTH');
      assert.ok(e.message.startsWith(f));
      for (const field of ['seed', 'attacker', 'resignation', 'phases.0.id', 'phases.0.start']) assert.ok(e.message.includes(field), `${field} named in: ${e.message}`);
      return true;
    });
    await writeFile(f, '{"seed": 1,');
    await assert.rejects(readTruth(f), /MW_ERR_TRUTH|not JSON/);
    await assert.rejects(readTruth(join(dir, 'missing.json')), (e: unknown) => e instanceof MwError && e.code === 'MW_ERR_TRUTH' && /ENOENT/.test(e.message));
  });
});
