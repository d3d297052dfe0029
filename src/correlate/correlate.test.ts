import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert, Severity } from '../detect/alert.js';
import { makeAlert } from '../detect/alert.js';
import { createDetectionEngine } from '../detect/index.js';
import { DAY, T0, syntheticStream, testContext } from '../detect/testkit.js';
import { createCorrelator, incidentSchema, riskOf, correlatorOptions } from './index.js';

let n = 0;
function alert(detector: string, severity: Severity, principal: string, atMs: number, models: string[] = []): Alert {
  n++;
  return makeAlert({
    detector,
    severity,
    principal,
    models,
    atMs,
    windowStartMs: atMs - 1000,
    windowEndMs: atMs,
    key: String(n),
    techniques: ['AML.T0007', 'T1213'],
    observed: 2,
    baseline: 1,
    threshold: 1.5,
    evidence: ['a'.repeat(32)],
    explanation: 'Test alert.',
  });
}

describe('correlation into incidents', () => {
  it('opens an incident on a critical alert, with models from the inventory', () => {
    const c = createCorrelator(testContext());
    const changed = c.add([alert('registry-theft', 'critical', 'alice', T0, ['toxicity-classifier'])]);
    assert.equal(changed.length, 1);
    const inc = incidentSchema.parse(changed[0]);
    assert.deepEqual(inc.principals, ['alice']);
    assert.equal(inc.opened_at, new Date(T0).toISOString());
    assert.deepEqual(inc.phases, ['artifact_theft']);
    assert.deepEqual(inc.vectors, ['weight_theft']);
    assert.deepEqual(inc.models, [{ name: 'toxicity-classifier', classification: 'TRADE_SECRET', estimated_value: 10_000_000, team: 'comp-chem' }]);
  });

  it('keeps low-risk principals out, and opens once risk crosses the threshold within the window', () => {
    const c = createCorrelator(testContext());
    assert.equal(c.add([alert('query-volume', 'low', 'bob', T0)]).length, 0);
    assert.equal(c.add([alert('recon', 'medium', 'bob', T0 + 20 * DAY)]).length, 0, 'the low alert has aged out');
    const opened = c.add([alert('split-exfil', 'medium', 'bob', T0 + 21 * DAY), alert('query-volume', 'medium', 'bob', T0 + 21 * DAY + 1)]);
    assert.equal(opened.length, 1);
    assert.equal(opened[0]!.alerts.length, 3);
    assert.ok(opened[0]!.risk >= 50);
    assert.deepEqual(opened[0]!.phases, ['recon', 'api_extraction', 'exfiltration']);
  });

  it('does not open an incident from one detector\'s repeated non-critical alerts', () => {
    const c = createCorrelator(testContext());
    const many = Array.from({ length: 10 }, (_, i) => alert('query-volume', 'high', 'carol', T0 + i * 3_600_000));
    assert.equal(c.add(many).length, 0);
    assert.equal(c.add([alert('recon', 'low', 'carol', T0 + DAY)]).length, 1, 'a second detector opens it');
  });

  it('grows one incident per principal and never opens a duplicate', () => {
    const c = createCorrelator(testContext());
    const first = alert('registry-theft', 'critical', 'alice', T0);
    c.add([first]);
    c.add([alert('split-exfil', 'critical', 'alice', T0 + DAY), first]);
    c.add([alert('recon', 'low', 'alice', T0 + 2 * DAY)]);
    const all = c.incidents();
    assert.equal(all.length, 1);
    assert.equal(all[0]!.alerts.length, 3);
    assert.equal(all[0]!.timeline.length, 3);
    assert.equal(all[0]!.severity, 'critical');
  });

  it('risk discounts repeats of one detector and rewards breadth across phases', () => {
    const o = correlatorOptions.parse({});
    const repeats = riskOf([1, 2, 3].map((i) => alert('query-volume', 'medium', 'x', T0 + i)), o);
    const breadth = riskOf([alert('query-volume', 'medium', 'x', T0), alert('recon', 'medium', 'x', T0), alert('split-exfil', 'medium', 'x', T0)], o);
    assert.equal(repeats, 15 + 0.25 * 30);
    assert.equal(breadth, 45 + 20);
  });

  it('turns the synthetic insider into exactly one incident and benign principals into none, identically on replay', () => {
    const run = () => {
      const e = createDetectionEngine({ context: testContext() });
      const alerts = [...e.push(syntheticStream({ days: 60, seed: 4 })), ...e.flush()];
      const c = createCorrelator(testContext());
      c.add(alerts);
      return c.incidents();
    };
    const a = run();
    assert.equal(a.length, 1);
    assert.deepEqual(a[0]!.principals, ['alice']);
    assert.ok(a[0]!.phases.includes('artifact_theft') && a[0]!.phases.includes('exfiltration'));
    assert.deepEqual(run().map((i) => i.id), a.map((i) => i.id));
  });
});
