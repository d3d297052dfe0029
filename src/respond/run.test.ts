/** Decision matrix cases of issue 8, escalation, SLA clocks in event time, failed and dry-run actions. */
import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { MwError } from '../errors/index.js';
import { withMemoryStore } from '../test-support/index.js';
import { clockStatus, createResponder } from './index.js';
import { customPlaybooks, MIN, seedIncident, T0 } from './testkit.js';

describe('decision matrix (issue 8 cases)', () => {
  it('suspicious extraction without artifact theft: rate-limit, preserve evidence, investigate within 15 minutes', async () => {
    await withMemoryStore(async (store) => {
      const inc = await seedIncident(store, 'mallory', ['extraction_via_api']);
      const { run } = await createResponder({ store, now: () => T0 }).instantiate(inc.id, { dryRun: true });
      assert.equal(run.decision?.row, 'suspicious_extraction');
      assert.equal(run.decision?.owner, 'SOC lead');
      assert.equal(run.decision?.sla_minutes, 15);
      assert.deepEqual(run.steps.filter((s) => s.status !== 'not_planned').map((s) => s.id), ['throttle', 'degrade_outputs']);
      assert.deepEqual(run.escalation, []);
    });
  });

  it('unauthorized artifact access: contain immediately and revoke; weights escalate to CTO, CISO, Legal', async () => {
    await withMemoryStore(async (store) => {
      const inc = await seedIncident(store, 'trudy', ['extraction_via_api', 'weight_theft']);
      const { run } = await createResponder({ store, now: () => T0 }).instantiate(inc.id, { dryRun: true });
      assert.equal(run.decision?.row, 'artifact_access');
      assert.equal(run.decision?.decision, 'Contain immediately and revoke');
      assert.deepEqual(run.escalation, [{ id: 'weights_stolen', notify: ['CTO', 'CISO', 'Legal'] }]);
      assert.equal(run.steps.find((s) => s.id === 'revoke_keys')!.status, 'awaiting_approval', 'revocation needs a human');
    });
  });

  it('explained spike (an approved load test): keep running and tune, nothing contained', async () => {
    const pb = customPlaybooks((t) => t.replace('approved_activity: []', 'approved_activity:\n  - { principal: loadtester, from: "2026-02-01T00:00:00Z", to: "2026-04-01T00:00:00Z", reason: "CHG-1234 load test" }'));
    try {
      await withMemoryStore(async (store) => {
        const inc = await seedIncident(store, 'loadtester', ['extraction_via_api']);
        const other = await seedIncident(store, 'mallory', ['extraction_via_api']);
        const r = createResponder({ store, playbooksDir: pb.dir, now: () => T0 });
        const { run, actions } = await r.instantiate(inc.id);
        assert.equal(run.decision?.row, 'explained_spike');
        assert.equal(run.decision?.owner, 'ML platform owner');
        assert.deepEqual(actions, []);
        assert.equal(run.clocks.some((c) => c.id === 'containment'), false);
        assert.match(run.fact_reasons.explained_spike!, /CHG-1234/);
        // The approval covers its principal only.
        assert.equal((await r.instantiate(other.id, { dryRun: true })).run.decision?.row, 'suspicious_extraction');
      });
    } finally {
      pb.done();
    }
  });

  it('insider or legal impact confirmed: notify Legal, HR, Privacy and executives', async () => {
    await withMemoryStore(async (store) => {
      const inc = await seedIncident(store, 'eve', ['extraction_via_api']);
      const r = createResponder({ store, now: () => T0 + 20 * MIN });
      await r.instantiate(inc.id);
      const run = await r.confirm(inc.id, 'insider_confirmed', true, 'bob-ir');
      assert.equal(run.decision?.row, 'insider_or_legal');
      assert.equal(run.decision?.owner, 'CISO');
      assert.deepEqual(run.escalation, [{ id: 'insider', notify: ['HR', 'Legal', 'CISO'] }]);
      // The new decision's clock starts when it was made.
      assert.equal(run.clocks.find((c) => c.id === 'decision')!.started_at, new Date(T0 + 20 * MIN).toISOString());
      await assert.rejects(r.confirm(inc.id, 'weights_stolen', true, 'bob-ir'), (e: unknown) => e instanceof MwError && e.code === 'MW_ERR_USAGE');
    });
  });

  it('escalation: training data to DPO and Legal, a regulated model to Compliance', async () => {
    const pb = customPlaybooks((t) => t.replace('regulated_classifications: []', 'regulated_classifications: [TRADE_SECRET]'));
    try {
      await withMemoryStore(async (store) => {
        const inc = await seedIncident(store, 'mike', ['training_data_exfiltration']);
        const { run } = await createResponder({ store, playbooksDir: pb.dir }).instantiate(inc.id, { dryRun: true });
        assert.equal(run.decision?.row, 'artifact_access', 'dataset access is contained like artifact access');
        assert.deepEqual(run.escalation.map((e) => e.id), ['training_data', 'regulated_model']);
        assert.deepEqual(run.escalation[1]!.notify, ['Compliance', 'Legal']);
      });
    } finally {
      pb.done();
    }
  });
});

describe('SLA clocks and actions', () => {
  // Containment of extraction only by manual storage steps: no gateway needed to exercise the clocks.
  const manualOnly = (t: string): string => t.replace('    actions: [throttle, degrade_outputs]\n', '    actions: [lock_storage]\n');

  it('start at the incident open time (event time), stop when every planned step is done', async () => {
    const pb = customPlaybooks(manualOnly);
    try {
      await withMemoryStore(async (store) => {
        const fast = await seedIncident(store, 'mallory', ['extraction_via_api']);
        const slow = await seedIncident(store, 'oscar', ['extraction_via_api']);
        let now = T0 + 2 * MIN;
        const r = createResponder({ store, playbooksDir: pb.dir, now: () => now });
        const a = (await r.instantiate(fast.id)).run;
        const c = a.clocks.find((x) => x.id === 'containment')!;
        assert.equal(c.started_at, fast.opened_at);
        assert.equal(c.due_at, new Date(T0 + 15 * MIN).toISOString());
        assert.equal(clockStatus(c, T0 + 5 * MIN).state, 'running');
        assert.equal(clockStatus(c, T0 + 5 * MIN).minutes, 10);
        assert.equal(a.steps.find((s) => s.id === 'lock_storage')!.status, 'manual_pending', 'the policy is generated, a responder applies it');
        now = T0 + 10 * MIN;
        const done = (await r.act(fast.id, 'lock_storage', { actor: 'alice-ir', markDone: true })).run;
        assert.equal(clockStatus(done.clocks.find((x) => x.id === 'containment')!, T0 + 60 * MIN).state, 'met');
        assert.equal(clockStatus(done.clocks.find((x) => x.id === 'decision')!, T0 + 60 * MIN).state, 'met', 'acknowledged by the first responder action');

        now = T0 + 2 * MIN;
        await r.instantiate(slow.id);
        assert.equal(clockStatus((await r.note(slow.id, 'looking', 'bob-ir')).clocks.find((x) => x.id === 'containment')!, T0 + 16 * MIN).state, 'breached');
        now = T0 + 31 * MIN;
        const late = (await r.act(slow.id, 'lock_storage', { actor: 'bob-ir', markDone: true })).run;
        const s = clockStatus(late.clocks.find((x) => x.id === 'containment')!, T0 + 60 * MIN);
        assert.deepEqual([s.state, s.minutes], ['breached', 16]);
      });
    } finally {
      pb.done();
    }
  });

  it('a failed action is recorded with its error, retried, never dropped; dry-run changes nothing', async () => {
    await withMemoryStore(async (store) => {
      const inc = await seedIncident(store, 'mallory', ['extraction_via_api']);
      // Port 9 (discard) on loopback: nothing listens, the connection is refused.
      const r = createResponder({ store, gateway: { adminUrl: 'http://127.0.0.1:9', token: 't', timeoutMs: 500 }, now: () => T0 + MIN });
      const { run, actions } = await r.instantiate(inc.id);
      assert.deepEqual(actions.map((a) => [a.step, a.ok]), [['throttle', false], ['degrade_outputs', false]]);
      assert.match(actions[0]!.error!, /unreachable/);
      assert.equal(run.steps.find((s) => s.id === 'throttle')!.status, 'failed');
      const retry = await r.act(inc.id, 'throttle', { actor: 'alice-ir' });
      assert.equal(retry.action.ok, false);
      assert.equal(retry.run.steps.find((s) => s.id === 'throttle')!.attempts, 2);
      const dry = await r.act(inc.id, 'freeze_principal', { actor: 'alice-ir', dryRun: true });
      assert.equal(dry.action.ok, true);
      assert.deepEqual(dry.action.calls.map((c) => [c.method, c.url]), [['POST', 'http://127.0.0.1:9/admin/principals/mallory/freeze']]);
      assert.equal(dry.run.steps.find((s) => s.id === 'freeze_principal')!.status, 'not_planned', 'a dry run changes no step');
      const logged = await r.evidence.entries({ incident: inc.id });
      assert.equal(logged.filter((e) => e.kind === 'action').length, 4, 'every attempt and the dry run are in the evidence log');
      assert.equal((await r.evidence.verify()).ok, true);
      await r.close(inc.id, 'false positive after review', 'alice-ir');
      await assert.rejects(r.act(inc.id, 'throttle', { actor: 'alice-ir' }), (e: unknown) => e instanceof MwError && e.code === 'MW_ERR_RESPOND_CLOSED');
    });
  });
});
