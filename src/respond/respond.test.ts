/**
 * The whole response loop on a simulated insider theft, on several seeds:
 * simulate, ingest, detect, instantiate PB-53 on the attacker's incident,
 * contain through a real gateway started in-process on loopback (in front of
 * a real model server), check the storage policy, the STIX bundle, the
 * report and the evidence chain (verified, then tampered and caught).
 */
import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { request } from 'undici';
import { detectStore } from '../detect/run.js';
import { createGateway, tokenSha256 } from '../gateway/index.js';
import { startModelServer, testConfig } from '../gateway/testkit.js';
import { ingestPaths } from '../ingest/index.js';
import { OUTPUT_FILES, STATIC_FILES, simulate } from '../sim/index.js';
import { readTruth } from '../sim/readback.js';
import { openStore } from '../store/index.js';
import { clockStatus, createResponder, EVIDENCE_COLLECTION, type EvidenceEntry } from './index.js';
import { checkStixBundle } from './stix-check.js';

const ADMIN = 'respond-test-admin-token';
// Small but complete: every phase of the campaign, volumes shrunk so RDKit canonicalisation stays quick.
const SMALL = {
  attack: { extraction: { molecules: [1500, 2000] }, membershipInference: { queries: [600, 900] } },
  decoys: { virtualScreening: { days: [2, 3], moleculesPerDay: [200, 400] } },
  library: { size: [3000, 4000] },
};

async function predict(base: string, key: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await request(`${base}/v1/models/clf:predict`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ instances: [[0.1, 0.2, 0.3, 0.4]] }),
  });
  return { status: r.statusCode, body: (await r.body.json()) as Record<string, unknown> };
}

describe('respond: the model-theft loop on a simulated incident', () => {
  for (const seed of [5, 8]) {
    it(`seed ${seed}: decision, gateway containment, storage policy, STIX, report, evidence`, async () => {
      const dir = mkdtempSync(join(tmpdir(), 'mw-respond-'));
      const upstream = await startModelServer();
      const gw = createGateway({ config: testConfig(upstream.url, join(dir, 'gw'), tokenSha256(ADMIN)), logLevel: 'silent' });
      const store = await openStore({ path: join(dir, 'mw.duckdb') });
      try {
        const { url, adminUrl } = await gw.start();
        await simulate({ seed, out: join(dir, 'sim'), days: 45, scale: 0.05, config: SMALL });
        const truth = readTruth(join(dir, 'sim'));
        const ingest = await ingestPaths([...Object.values(OUTPUT_FILES), STATIC_FILES.directory, STATIC_FILES.inventory].map((f) => join(dir, 'sim', f)), { store });
        assert.equal(ingest.quarantined, 0);
        const det = await detectStore(store);
        await store.putAlerts(det.alerts);
        await store.putIncidents(det.incidents);
        const incident = det.incidents.find((i) => i.principals.includes(truth.attacker));
        assert.ok(incident, `an incident on the attacker ${truth.attacker}`);

        // The attacker holds a gateway key and uses it.
        const created = await request(`${adminUrl}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ principal: truth.attacker, role: 'scientist' }) });
        assert.equal(created.statusCode, 201);
        const { secret, key } = (await created.body.json()) as { secret: string; key: { id: string } };
        const bystander = (await (await request(`${adminUrl}/admin/keys`, { method: 'POST', headers: { authorization: `Bearer ${ADMIN}`, 'content-type': 'application/json' }, body: JSON.stringify({ principal: 'bystander', role: 'scientist' }) })).body.json()) as { secret: string };
        assert.equal((await predict(url, secret)).status, 200);

        const opened = Date.parse(incident.opened_at);
        let clock = opened + 3 * 60_000;
        const r = createResponder({ store, gateway: { adminUrl, token: ADMIN }, now: () => clock });
        const { run, actions } = await r.instantiate(incident.id);
        // Artifact theft by a leaver: contain immediately and revoke, with the insider and weights escalations.
        assert.equal(run.decision?.row, 'artifact_access');
        assert.equal(run.decision?.owner, 'Incident commander');
        assert.ok(run.facts.weights_stolen && run.facts.insider_suspected);
        assert.deepEqual(run.escalation.map((e) => e.id).sort(), ['insider', 'weights_stolen']);
        assert.deepEqual(run.vectors.map((v) => v.id).slice(0, 1), ['weight_theft']);
        const volume = run.triage.find((t) => t.id === 'api_volume')!;
        assert.ok((volume.numbers['window_instances'] as number) > 0 && volume.query.includes(truth.attacker));
        // Auto steps ran against the real gateway: throttle and degraded outputs are in its containment state.
        assert.deepEqual(actions.filter((a) => a.connector === 'gateway').map((a) => [a.step, a.ok]), [['throttle', true], ['degrade_outputs', true]]);
        const state = gw.containment.get(truth.attacker);
        assert.ok(state, 'the gateway holds containment state for the attacker');
        assert.equal(JSON.stringify(state).includes('restricted'), true);
        // Revocation waits for a responder's approval: the key still works.
        assert.equal(run.steps.find((s) => s.id === 'revoke_keys')!.status, 'awaiting_approval');

        // The storage deny policy names the incident's model prefixes.
        const lock = actions.find((a) => a.step === 'lock_storage')!;
        const policy = lock.output as { prefixes: string[]; files: Record<string, string>; commands: string[] };
        const models = await store.models();
        for (const m of incident.models) {
          const loc = models.find((x) => x.name === m.name)?.artifactLocation;
          if (loc) assert.ok(policy.prefixes.includes(loc), `${loc} is locked`);
        }
        assert.ok(Object.values(policy.files).some((t) => t.includes('"Deny"')));

        clock = opened + 9 * 60_000;
        const dry = await r.act(incident.id, 'revoke_keys', { actor: 'alice-ir', dryRun: true });
        assert.equal(dry.action.dry_run, true);
        assert.equal((await predict(url, secret)).status, 200, 'a dry run changes nothing');
        await r.act(incident.id, 'revoke_keys', { actor: 'alice-ir' });
        const denied = await predict(url, secret);
        assert.equal(denied.status, 401);
        assert.equal((denied.body['error'] as { code: string }).code, 'MW_ERR_GW_KEY_REVOKED');
        assert.equal(gw.keys.list().find((k) => k.id === key.id)?.revokedAt != null, true);
        assert.equal((await predict(url, bystander.secret)).status, 200, 'other principals keep working');
        await r.act(incident.id, 'freeze_principal', { actor: 'alice-ir' });
        clock = opened + 12 * 60_000;
        await r.act(incident.id, 'lock_storage', { actor: 'alice-ir', markDone: true });
        const final = (await r.act(incident.id, 'disable_export', { actor: 'alice-ir', markDone: true })).run;
        const containment = clockStatus(final.clocks.find((c) => c.id === 'containment')!, clock);
        assert.equal(containment.state, 'met', 'every planned step done 12 minutes after the incident opened');
        assert.equal(containment.stopped_at, new Date(opened + 12 * 60_000).toISOString());

        const bundle = await r.stix(incident.id);
        assert.deepEqual(checkStixBundle(bundle), []);
        assert.ok(bundle.objects.some((o) => o.type === 'user-account' && o['user_id'] === truth.attacker));
        assert.ok(bundle.objects.some((o) => o.type === 'domain-name'), 'upload destinations');

        const hold = await r.hold(incident.id, 'alice-ir');
        assert.ok(hold.copied > 0);
        const files = await r.report(incident.id, join(dir, 'report'), { pdf: false });
        const md = readFileSync(files.find((f) => f.endsWith('.md'))!, 'utf8');
        assert.match(md, /Contain immediately and revoke/);
        assert.match(md, /Containment within 15 minutes \| 15 min \|.*\| met \|/);
        assert.ok(md.includes(truth.attacker));
        const html = readFileSync(files.find((f) => f.endsWith('.html'))!, 'utf8');
        assert.ok(html.startsWith('<!doctype html>') && !/<script/i.test(html));

        const ok = await r.evidence.verify();
        assert.equal(ok.ok, true);
        // Tamper: soften what the responder did in one action entry.
        const entries = await store.listDocuments<EvidenceEntry>(EVIDENCE_COLLECTION, { limit: 100_000 });
        const victim = entries.find((e) => e.body.kind === 'action' && (e.body.body as { step: string }).step === 'revoke_keys' && !(e.body.body as { dry_run: boolean }).dry_run)!;
        await store.putDocument(EVIDENCE_COLLECTION, victim.id, { ...victim.body, actor: 'someone-else' });
        const bad = await r.evidence.verify();
        assert.equal(bad.ok, false);
        assert.equal(bad.broken?.seq, victim.body.seq);
        assert.match(bad.broken!.reason, /edited/);
      } finally {
        await store.close();
        await gw.close();
        await upstream.close();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
