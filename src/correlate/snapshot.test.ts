/** The correlator's state survives a snapshot through JSON: incidents as if it had never stopped. */
import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import type { Alert } from '../detect/alert.js';
import { compareAlerts } from '../detect/alert.js';
import { createDetectionEngine } from '../detect/index.js';
import { syntheticStream, testContext } from '../detect/testkit.js';
import { createCorrelator } from './index.js';
import type { CorrelatorSnapshot } from './index.js';

describe('correlator snapshot', () => {
  for (const seed of [2, 13, 31]) {
    it(`restores pending alerts, open incidents and seen ids (seed ${seed})`, () => {
      const engine = createDetectionEngine({ context: testContext() });
      const alerts: Alert[] = [...engine.push(syntheticStream({ days: 60, seed })), ...engine.flush()].sort(compareAlerts);
      assert.ok(alerts.length > 6);
      const whole = createCorrelator(testContext());
      whole.add(alerts);
      assert.equal(whole.incidents().length, 1);
      // Cut before the incident opens, and after.
      for (const cut of [Math.floor(alerts.length / 3), alerts.length - 2]) {
        const a = createCorrelator(testContext());
        a.add(alerts.slice(0, cut));
        const b = createCorrelator(testContext());
        b.restore(JSON.parse(JSON.stringify(a.snapshot())) as CorrelatorSnapshot);
        b.add(alerts.slice(cut));
        b.add(alerts.slice(0, 3));
        assert.deepEqual(b.incidents(), whole.incidents(), `cut at ${cut} of ${alerts.length}`);
        assert.throws(() => b.restore(a.snapshot()), /fresh correlator/);
      }
    });
  }
});
