import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { DAY_MS, nextHour, Timeline } from './timeline.js';

describe('lab timeline', () => {
  it('plays scheduled events in time order (ties in scheduling order) and never goes back', async () => {
    const tl = new Timeline(1000);
    const seen: string[] = [];
    tl.schedule(3000, async () => void seen.push(`b@${tl.t}`));
    tl.schedule(2000, async () => void seen.push(`a@${tl.t}`));
    tl.schedule(3000, async () => void seen.push(`c@${tl.t}`));
    tl.schedule(9000, async () => void seen.push(`late@${tl.t}`));
    await tl.advanceTo(5000);
    assert.deepEqual(seen, ['a@2000', 'b@3000', 'c@3000']);
    assert.equal(tl.t, 5000);
    await tl.advanceTo(4000);
    assert.equal(tl.t, 5000, 'time does not go back');
    assert.equal(tl.pending, 1);
  });

  it('feeders schedule lazily, and events scheduled while playing still play in order', async () => {
    const tl = new Timeline(0);
    const seen: number[] = [];
    let fedTo = 0;
    tl.addFeeder((until) => {
      for (; fedTo <= until; fedTo += 1000) {
        const at = fedTo;
        tl.schedule(at, async () => {
          seen.push(at);
          if (at === 2000) tl.schedule(2500, async () => void seen.push(2500));
        });
      }
    });
    await tl.advanceTo(3000);
    assert.deepEqual(seen, [0, 1000, 2000, 2500, 3000]);
  });

  it('nextHour finds the next working-day start', () => {
    const t = Date.UTC(2026, 0, 5, 10, 30);
    assert.equal(nextHour(t, 9), Date.UTC(2026, 0, 6, 9));
    assert.equal(nextHour(Date.UTC(2026, 0, 5, 9), 9), Date.UTC(2026, 0, 5, 9));
    assert.equal(nextHour(t, 9) - nextHour(t - DAY_MS, 9), DAY_MS);
  });
});

describe('timelineGate', () => {
  it('interleaves a self-paced loop with the driver in event-time order', async () => {
    const { timelineGate } = await import('./timeline.js');
    const tl = new Timeline(0);
    const log: string[] = [];
    const gate = timelineGate(tl);
    const loop = (async () => {
      for (const at of [1500, 2500, 2600]) {
        await gate.before(at);
        log.push(`bg@${tl.t}`);
        await new Promise((r) => setImmediate(r)); // a request in flight
        log.push(`bg-done@${at}`);
      }
      gate.finish();
    })();
    for (const at of [1000, 2000, 3000]) {
      await tl.advanceTo(at);
      log.push(`fg@${tl.t}`);
    }
    await loop;
    assert.deepEqual(log, ['fg@1000', 'bg@1500', 'bg-done@1500', 'fg@2000', 'bg@2500', 'bg-done@2500', 'bg@2600', 'bg-done@2600', 'fg@3000']);
  });
});
