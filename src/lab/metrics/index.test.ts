import { test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { agreement, averageRanks, mae, multiLabelAuc, r2, rmse, rocAuc, spearman, topKOverlap, tprAtFpr } from './index.js';

const finite = fc.double({ min: -1e6, max: 1e6, noNaN: true, noDefaultInfinity: true });
const FC = { seed: 42, numRuns: 200 };

test('r2, mae and rmse on a hand-checked example', () => {
  const y = [1, 2, 3, 4];
  const p = [1, 2, 3, 5];
  // SS_res = 1, SS_tot = 5
  assert.equal(r2(y, p), 1 - 1 / 5);
  assert.equal(mae(y, p), 0.25);
  assert.equal(rmse(y, p), 0.5);
  assert.equal(r2(y, y), 1);
  assert.ok(r2(y, [4, 3, 2, 1]) < 0);
  assert.ok(Number.isNaN(r2([2, 2], [2, 2])), 'constant truth has no R2');
  assert.throws(() => r2([1], [1, 2]), RangeError);
});

test('predicting the mean gives R2 0, for any truth', () => {
  fc.assert(
    fc.property(fc.array(finite, { minLength: 2, maxLength: 40 }), (y) => {
      const m = y.reduce((a, b) => a + b, 0) / y.length;
      const tot = y.reduce((a, b) => a + (b - m) ** 2, 0);
      fc.pre(tot > 1e-6);
      assert.ok(Math.abs(r2(y, y.map(() => m))) < 1e-9);
    }),
    FC,
  );
});

test('average ranks share ties and sum to n(n+1)/2', () => {
  assert.deepEqual([...averageRanks([10, 20, 20, 5])], [2, 3.5, 3.5, 1]);
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 5 }), { minLength: 1, maxLength: 50 }), (a) => {
      const s = averageRanks(a).reduce((x, y) => x + y, 0);
      assert.ok(Math.abs(s - (a.length * (a.length + 1)) / 2) < 1e-9);
    }),
    FC,
  );
});

test('spearman of a strictly monotone map is 1, of a decreasing one -1', () => {
  fc.assert(
    fc.property(fc.uniqueArray(fc.integer({ min: -1000, max: 1000 }), { minLength: 3, maxLength: 60 }), (x) => {
      assert.ok(Math.abs(spearman(x, x.map((v) => Math.exp(v / 100) + 3)) - 1) < 1e-9);
      assert.ok(Math.abs(spearman(x, x.map((v) => -(v ** 3))) + 1) < 1e-9);
    }),
    FC,
  );
  // ties averaged: x = [1,2,2,3] ranks [1,2.5,2.5,4] vs itself
  assert.equal(spearman([1, 2, 2, 3], [1, 2, 2, 3]), 1);
  assert.ok(Number.isNaN(spearman([1, 1, 1], [1, 2, 3])));
});

test('top-k overlap: identical rankings 1, reversed 0, k capped at n', () => {
  const t = [5, 4, 3, 2, 1, 0];
  assert.equal(topKOverlap(t, t, 3), 1);
  assert.equal(topKOverlap(t, [...t].reverse(), 3), 0);
  assert.equal(topKOverlap(t, [5, 0, 3, 2, 1, 4], 2), 0.5);
  assert.equal(topKOverlap([1, 2], [1, 2], 100), 1);
  fc.assert(
    fc.property(fc.array(fc.tuple(finite, finite), { minLength: 1, maxLength: 50 }), fc.integer({ min: 1, max: 60 }), (pairs, k) => {
      const v = topKOverlap(
        pairs.map((p) => p[0]),
        pairs.map((p) => p[1]),
        k,
      );
      assert.ok(v >= 0 && v <= 1);
    }),
    FC,
  );
});

test('ROC AUC: hand-checked values, ties count one half', () => {
  assert.equal(rocAuc([0.9, 0.8, 0.2, 0.1], [1, 1, 0, 0]), 1);
  assert.equal(rocAuc([0.1, 0.2, 0.8, 0.9], [1, 1, 0, 0]), 0);
  assert.equal(rocAuc([0.5, 0.5, 0.5, 0.5], [1, 0, 1, 0]), 0.5);
  // positives 0.8, 0.4; negatives 0.6, 0.4: pairs (0.8>0.6)=1 (0.8>0.4)=1 (0.4<0.6)=0 (0.4=0.4)=0.5
  assert.equal(rocAuc([0.8, 0.4, 0.6, 0.4], [true, true, false, false]), 2.5 / 4);
  assert.ok(Number.isNaN(rocAuc([1, 2], [1, 1])));
});

const scored = fc.array(fc.tuple(fc.integer({ min: -20, max: 20 }), fc.boolean()), { minLength: 2, maxLength: 60 }).filter((a) => a.some((p) => p[1]) && a.some((p) => !p[1]));

test('ROC AUC equals the pairwise count, is invariant to monotone transforms, and flips with negation', () => {
  fc.assert(
    fc.property(scored, (pairs) => {
      const s = pairs.map((p) => p[0]);
      const l = pairs.map((p) => p[1]);
      let wins = 0;
      let n = 0;
      for (const [a, la] of pairs) for (const [b, lb] of pairs) if (la && !lb) {
        n++;
        wins += a > b ? 1 : a === b ? 0.5 : 0;
      }
      const auc = rocAuc(s, l);
      assert.ok(Math.abs(auc - wins / n) < 1e-12);
      assert.ok(Math.abs(rocAuc(s.map((v) => 2 ** (v / 4) - 7), l) - auc) < 1e-12);
      assert.ok(Math.abs(rocAuc(s.map((v) => -v), l) - (1 - auc)) < 1e-12);
    }),
    FC,
  );
});

test('TPR at FPR: never splits ties, grows with the allowed FPR, reaches 1 at FPR 1', () => {
  // negatives 0.9 and 0.1; positives 0.8, 0.7, 0.1
  const s = [0.9, 0.8, 0.7, 0.1, 0.1];
  const l = [0, 1, 1, 1, 0];
  assert.equal(tprAtFpr(s, l, 0), 0);
  assert.equal(tprAtFpr(s, l, 0.5), 2 / 3);
  assert.equal(tprAtFpr(s, l, 1), 1);
  assert.equal(tprAtFpr([0.9, 0.8, 0.1], [1, 1, 0], 0), 1);
  fc.assert(
    fc.property(scored, fc.double({ min: 0, max: 1, noNaN: true }), (pairs, f) => {
      const s2 = pairs.map((p) => p[0]);
      const l2 = pairs.map((p) => p[1]);
      const lo = tprAtFpr(s2, l2, f / 2);
      const hi = tprAtFpr(s2, l2, f);
      assert.ok(lo <= hi && hi <= 1 && lo >= 0);
      assert.equal(tprAtFpr(s2, l2, 1), 1);
    }),
    FC,
  );
});

test('agreement counts equal positions', () => {
  assert.equal(agreement([1, 0, 1, 1], [1, 1, 1, 0]), 0.5);
  assert.ok(Number.isNaN(agreement([], [])));
});

test('multi-label AUC skips missing labels and averages the defined ones', () => {
  const scores = [
    [0.9, 0.1, 0.5],
    [0.2, 0.8, 0.5],
    [0.7, 0.3, 0.5],
  ];
  const labels = [
    [1, null, 1],
    [0, 1, 1],
    [null, 0, 1],
  ];
  const { perLabel, mean } = multiLabelAuc(scores, labels);
  assert.equal(perLabel[0], 1); // rows 0 (pos 0.9) and 1 (neg 0.2)
  assert.equal(perLabel[1], 1); // rows 1 (pos 0.8) and 2 (neg 0.3)
  assert.ok(Number.isNaN(perLabel[2]!), 'one class only');
  assert.equal(mean, 1);
});
