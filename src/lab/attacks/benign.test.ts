import { test } from 'node:test';
import assert from 'node:assert/strict';
import { meanPairwiseDistance, toFp } from '../../detect/molecules.js';
import { createInProcessOracle, runBenignTraffic, type BenignResult } from './index.js';
import { smallClassificationVictim, smallLabData, smallRegressionVictim } from './testkit.js';
import type { Molecule, Oracle } from '../types.js';

/** Wraps an oracle to record what a researcher asked, as the gateway's audit log would. */
function recording<A>(inner: Oracle<A>, log: Molecule[][]): Oracle<A> {
  return {
    get stopped() {
      return inner.stopped;
    },
    get answered() {
      return inner.answered;
    },
    ask(batch) {
      log.push([...batch]);
      return inner.ask(batch);
    },
  };
}

test('benign researchers ask focused series at realistic volumes, in working hours, for several seeds', async () => {
  const data = await smallLabData(1);
  const { victim } = smallRegressionVictim(data, 1, 200);
  for (const seed of [1, 2, 3]) {
    const logs: Molecule[][][] = [[], [], [], []];
    const times: Array<{ researcher: number; day: number; atMs: number }> = [];
    const r = await runBenignTraffic({
      task: 'regression',
      oracles: logs.map((log) => recording(createInProcessOracle({ task: 'regression', victim }), log)),
      victim,
      pool: data.pool,
      poolInfo: data.poolInfo,
      anchors: data.bace.test.slice(0, 2),
      days: 5,
      seed,
      beforeBatch: (c) => void times.push(c),
    });
    assert.equal(r.queries, logs.flat(2).length);
    assert.equal(r.answered, r.queries);
    for (const log of logs) {
      const perDay = r.queries / logs.length / 5;
      assert.ok(perDay >= 20 && perDay <= 200, `seed ${seed}: ${perDay} a day`);
      assert.ok(log.every((b) => b.length >= 1 && b.length <= 20));
      // A series is focused: its molecules are closer to each other than the pool's at large (ECFP4
      // analogues still sit at Tanimoto distance ~0.6-0.8, and this test's pool is a 3,000 subsample).
      const mine = meanPairwiseDistance(log.flat().slice(0, 60).map((m) => toFp(m.fp)));
      const pool = meanPairwiseDistance(data.pool.slice(0, 60).map((m) => toFp(m.fp)));
      assert.ok(mine < pool - 0.03, `seed ${seed}: series ${mine.toFixed(3)} vs pool ${pool.toFixed(3)}`);
    }
    assert.ok(times.every((t, i) => i === 0 || t.atMs >= times[i - 1]!.atMs), 'requests in event-time order');
    assert.ok(times.every((t) => {
      const hour = (t.atMs % 86_400_000) / 3_600_000;
      return hour >= 9 && hour < 18 && Math.floor(t.atMs / 86_400_000) === t.day;
    }));
    assert.deepEqual(r.utility.find((u) => u.metric === 'mae')!.value, 0);
  }
});

test('benign utility: hardening costs benign users accuracy, refusals cost them answers', async () => {
  const data = await smallLabData(1);
  const { victim } = smallRegressionVictim(data, 1, 200);
  const run = (hardening: { decimals?: number; roundPrediction?: boolean; refuseAfter?: number }): Promise<BenignResult> =>
    runBenignTraffic({
      task: 'regression',
      oracles: [0, 1].map(() => createInProcessOracle({ task: 'regression', victim, hardening })),
      victim,
      pool: data.pool,
      poolInfo: data.poolInfo,
      days: 3,
      seed: 7,
    });
  const plain = await run({});
  const rounded = await run({ decimals: 0, roundPrediction: true });
  const refused = await run({ refuseAfter: 50 });
  assert.equal(rounded.queries, plain.queries, 'same traffic whatever the policy');
  const mae = rounded.utility.find((u) => u.metric === 'mae')!.value!;
  assert.ok(mae > 0.1 && mae <= 0.5, `rounded to integers: MAE ${mae}`);
  assert.equal(refused.answered, 100);
  assert.equal(refused.refused, refused.queries - 100);
  assert.equal(refused.utility.find((u) => u.metric === 'answered_share')!.value, 100 / refused.queries);

  const classifier = smallClassificationVictim(data, 1);
  const labelsOnly = await runBenignTraffic({
    task: 'classification',
    oracles: [createInProcessOracle({ task: 'classification', victim: classifier, hardening: { labelsOnly: true } })],
    victim: classifier,
    pool: data.pool,
    poolInfo: data.poolInfo,
    days: 2,
    seed: 7,
  });
  assert.deepEqual(labelsOnly.utility.map((u) => u.metric), ['answered_share', 'agreement']);
  assert.equal(labelsOnly.utility[1]!.value, 1);
});
