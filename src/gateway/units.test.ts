import { strict as assert } from 'node:assert';
import { appendFileSync, closeSync, openSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { isMwError } from '../errors/index.js';
import { withTempDir } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { configJsonSchema, parseConfig } from './config.js';
import { CountersUnavailableError, JournalCounterStore } from './counters.js';
import { hardenResponse, reverseSigmoid, roundTo } from './harden.js';
import { KeyStore, tokenSha256 } from './keys.js';
import { testConfig, trainModels } from './testkit.js';

const TOKEN_HASH = tokenSha256('test-admin-token');

describe('gateway config', () => {
  it('accepts a full config and fills defaults', () => {
    const c = testConfig('http://127.0.0.1:1', '/tmp/x', TOKEN_HASH);
    assert.equal(c.counters.on_unavailable, 'fail_closed');
    assert.equal(c.output_policies['full']!.on_unknown_shape, 'pass');
    assert.equal(c.roles['scientist']!.batch_cap, 50);
  });

  it('reports every problem at once, with paths', () => {
    const yaml = `
admin: { host: 0.0.0.0, token_sha256: nothex }
data_dir: ./d
models:
  - { name: a, upstream: "ftp://x", protocol: grpc, task: classification }
output_policies: { p: { round_decimals: -1 } }
roles: { r: { output_policy: nope } }
degrade_policy: missing
rate_limits: [{ scope: key, unit: requests, per: day, limit: 1 }]
budgets: [{ models: [zzz] }]
extra_key: 1
`;
    try {
      parseConfig(yaml, 'gw.yaml');
      assert.fail('should throw');
    } catch (e) {
      assert.ok(isMwError(e));
      assert.equal(e.code, 'MW_ERR_GW_CONFIG');
      const problems = e.details!['problems'] as string[];
      const text = problems.join('\n');
      for (const frag of ['admin.token_sha256', 'models[0].upstream', 'models[0].protocol', 'output_policies.p.round_decimals', 'rate_limits[0].per', 'budgets[0]', 'extra_key']) {
        assert.ok(text.includes(frag), `missing ${frag} in:\n${text}`);
      }
      assert.ok(problems.length >= 7, text);
    }
  });

  it('reports cross-reference problems (unknown policy, role, model, remote admin) together', () => {
    const yaml = `
admin: { host: 0.0.0.0, token_sha256: ${TOKEN_HASH} }
data_dir: ./d
models: [{ name: a, upstream: "http://127.0.0.1:1", protocol: kserve-v1, task: classification }]
output_policies: { p: {} }
roles: { r: { output_policy: nope } }
degrade_policy: missing
budgets: [{ models: [zzz], roles: [ghost], per_day: 5 }]
`;
    assert.throws(
      () => parseConfig(yaml),
      (e: unknown) => {
        const t = ((e as { details: { problems: string[] } }).details.problems).join('\n');
        return ['degrade_policy', 'roles.r.output_policy', 'budgets[0].models[0]', 'budgets[0].roles[0]', 'admin.host'].every((f) => t.includes(f));
      },
    );
  });

  it('reports YAML syntax errors with their line', () => {
    assert.throws(() => parseConfig('a: [1, 2\nb: }'), /YAML line/);
  });

  it('docs/gateway.md publishes the current JSON Schema', () => {
    const doc = readFileSync(join(repoRoot(), 'docs', 'gateway.md'), 'utf8');
    const m = /<!-- schema:start -->\n```json\n([\s\S]*?)\n```\n<!-- schema:end -->/.exec(doc);
    assert.ok(m, 'schema block missing');
    assert.deepEqual(JSON.parse(m[1]!), configJsonSchema());
  });
});

describe('gateway keys', () => {
  it('stores hashes only, authenticates, revokes, expires and rotates', async () => {
    await withTempDir(async (dir) => {
      let now = Date.parse('2026-01-01T00:00:00Z');
      const file = join(dir, 'keys.json');
      const ks = new KeyStore(file, () => now);
      const { key, secret } = ks.create({ principal: 'alice', team: 'chem', role: 'scientist', ttlMs: 3_600_000 });
      assert.ok(!readFileSync(file, 'utf8').includes(secret.slice('mwk_000000000000_'.length)), 'secret must not be stored');
      assert.equal(ks.authenticate(secret).ok, true);
      assert.deepEqual(ks.authenticate(secret.slice(0, -1) + (secret.endsWith('A') ? 'B' : 'A')), { ok: false, code: 'MW_ERR_GW_UNAUTHENTICATED', keyId: null });
      assert.equal(ks.authenticate('mwk_000000000000_' + 'A'.repeat(43)).ok, false);
      assert.equal(ks.authenticate(null).ok, false);
      now += 3_600_001;
      assert.deepEqual(ks.authenticate(secret), { ok: false, code: 'MW_ERR_GW_KEY_EXPIRED', keyId: key.id });
      now -= 3_600_001;
      const rot = ks.rotate(key.id);
      assert.equal(rot.key.principal, 'alice');
      assert.equal(rot.key.rotatedFrom, key.id);
      assert.deepEqual(ks.authenticate(secret), { ok: false, code: 'MW_ERR_GW_KEY_REVOKED', keyId: key.id });
      assert.equal(ks.authenticate(rot.secret).ok, true);
      const graced = ks.rotate(rot.key.id, 60_000);
      assert.equal(ks.authenticate(rot.secret).ok, true, 'old key works during the grace period');
      now += 60_001;
      assert.equal(ks.authenticate(rot.secret).ok, false);
      assert.equal(ks.authenticate(graced.secret).ok, true);
      ks.revoke(graced.key.id);
      assert.deepEqual(ks.authenticate(graced.secret), { ok: false, code: 'MW_ERR_GW_KEY_REVOKED', keyId: graced.key.id });
      assert.equal(new KeyStore(file).list().length, 3);
      assert.throws(() => ks.revoke('ffffffffffff'), /no key/);
    });
  });
});

// The behaviour every counter store shares (exactness, expiry, GCRA) is in counters-conformance.test.ts.
describe('gateway counters: journal store', () => {
  it('is all-or-nothing across items, refunds, and survives a restart (and a torn journal line)', async () => {
    await withTempDir(async (dir) => {
      const s = new JournalCounterStore({ dir, fsyncIntervalMs: 0 });
      assert.ok((await s.reserve([{ key: 'day', amount: 5, limit: 10 }, { key: 'life', amount: 5, limit: 100 }])).ok);
      const r = await s.reserve([{ key: 'day', amount: 2, limit: 100 }, { key: 'life', amount: 96, limit: 100 }]);
      assert.equal(r.ok, false);
      assert.equal(await s.get('day'), 5, 'a refused multi-item reservation adds nothing');
      const ok = await s.reserve([{ key: 'life', amount: 10, limit: 100 }]);
      assert.ok(ok.ok);
      await s.refund(ok.reservation);
      assert.equal(await s.get('life'), 5);
      // Simulate a crash: no close(), journal left as written, plus a half-written line.
      appendFileSync(JournalCounterStore.journalPath(dir), '{"i":[["life",50');
      const s2 = new JournalCounterStore({ dir });
      assert.equal(await s2.get('day'), 5);
      assert.equal(await s2.get('life'), 5);
      await s2.close();
      const s3 = new JournalCounterStore({ dir });
      assert.equal(await s3.get('life'), 5);
      await s3.close();
    });
  });
});

describe('gateway counters: journal durability before the answer', () => {
  // fdatasync per write (0) writes in the thread pool; batched fdatasync (50) writes synchronously.
  for (const fsyncIntervalMs of [0, 50]) it(`commit resolves once the line is in the journal; a failed write takes the reservation back and refund adds nothing (fsync interval ${fsyncIntervalMs} ms)`, async () => {
    await withTempDir(async (dir) => {
      const s = new JournalCounterStore({ dir, fsyncIntervalMs });
      const r = await s.reserve([{ key: 'life', amount: 4, limit: 10 }]);
      assert.ok(r.ok);
      assert.equal(await s.get('life'), 4, 'the headroom is taken at once');
      assert.equal((await s.reserve([{ key: 'life', amount: 7, limit: 10 }])).ok, false, 'before the write, not after');
      await s.commit(r.reservation);
      assert.match(readFileSync(JournalCounterStore.journalPath(dir), 'utf8'), /"life",4/);
      // Make the next journal write fail underneath the store (EBADF: a read-only descriptor).
      const fds = (s as unknown as { fds: number[] }).fds;
      const saved = fds.slice();
      fds.forEach((_, i) => (fds[i] = openSync(JournalCounterStore.journalPath(dir), 'r')));
      const lost = await s.reserve([{ key: 'life', amount: 3, limit: 10 }]);
      assert.ok(lost.ok);
      await assert.rejects(s.commit(lost.reservation), CountersUnavailableError);
      assert.equal(await s.get('life'), 4, 'an unrecorded reservation is taken back');
      await s.refund(lost.reservation);
      assert.equal(await s.get('life'), 4, 'and refunding it adds nothing back');
      await assert.rejects(s.reserve([{ key: 'life', amount: 1, limit: 10 }]), CountersUnavailableError, 'the store then fails closed');
      [...saved, ...fds].forEach((fd) => closeSync(fd));
      const s2 = new JournalCounterStore({ dir });
      assert.equal(await s2.get('life'), 4);
      await s2.close();
    });
  });
});

describe('output hardening', () => {
  const models = trainModels();
  it('reverse sigmoid perturbs probabilities, keeps them a distribution and keeps top-1', () => {
    for (let i = 0; i < 200; i++) {
      const x = [Math.sin(i), Math.cos(i * 1.3), (i % 7) / 7 - 0.5, (i % 3) - 1];
      const y = models.classify(x);
      const z = reverseSigmoid(y, 1, 0.1);
      assert.ok(Math.abs(z.reduce((a, b) => a + b, 0) - 1) < 1e-9);
      assert.equal(z.indexOf(Math.max(...z)), y.indexOf(Math.max(...y)));
      assert.ok(z.every((v) => v >= 0 && v <= 1));
    }
    const y = [0.97, 0.02, 0.01];
    const z = reverseSigmoid(y, 1, 0.1);
    assert.notDeepEqual(z.map((v) => roundTo(v, 3)), y);
  });

  it('applies every policy knob to a KServe response, and on_unknown_shape', () => {
    const cfg = testConfig('http://127.0.0.1:1', '/tmp/x', TOKEN_HASH);
    const m = cfg.models.find((x) => x.name === 'reg')!;
    const body = { predictions: [{ prediction: 1.23456, prediction_interval: [1, 2], feature_importance: [0.1] }] };
    const r = hardenResponse(structuredClone(body), m, cfg.output_policies['standard']!);
    assert.ok(r.ok);
    const p = (r.body as { predictions: Array<Record<string, unknown>> }).predictions[0]!;
    assert.deepEqual(Object.keys(p), ['prediction']);
    assert.ok(Math.abs((p['prediction'] as number) - 1.23456) <= 0.05 + 0.005);
    const weird = cfg.models.find((x) => x.name === 'weird')!;
    assert.equal(hardenResponse({ result: 1 }, weird, cfg.output_policies['restricted']!).ok, false);
    const stripped = hardenResponse({ result: 1 }, weird, cfg.output_policies['standard']!);
    assert.ok(stripped.ok && stripped.stripped);
    assert.deepEqual(stripped.body, { predictions: [] });
    const passed = hardenResponse({ result: 1 }, weird, cfg.output_policies['full']!);
    assert.ok(passed.ok);
    assert.deepEqual(passed.body, { result: 1 });
  });

  it('hardens a multi-label classifier (one distribution per label) label by label', () => {
    const cfg = testConfig('http://127.0.0.1:1', '/tmp/x', TOKEN_HASH);
    const m = cfg.models.find((x) => x.name === 'clf' && x.protocol === 'kserve-v1')!;
    const probs = [
      [0.93, 0.07],
      [0.2, 0.8],
      [0.555, 0.445],
    ];
    const body = () => ({ predictions: [{ probabilities: structuredClone(probs), labels: ['NR-AR', 'SR-p53', 'SR-MMP'] }] });
    const std = hardenResponse(body(), m, cfg.output_policies['standard']!);
    assert.ok(std.ok && std.shape === 'known');
    const got = (std.body as { predictions: Array<{ probabilities: number[][]; labels: string[] }> }).predictions[0]!;
    assert.deepEqual(got.labels, ['NR-AR', 'SR-p53', 'SR-MMP']);
    got.probabilities.forEach((row, i) => {
      assert.equal(row.length, 2);
      assert.ok(Math.abs(row[0]! + row[1]! - 1) <= 0.011, 'still a distribution (after rounding to 2 decimals)');
      assert.equal(row.indexOf(Math.max(...row)), probs[i]!.indexOf(Math.max(...probs[i]!)), 'top-1 kept per label');
      assert.notDeepEqual(row, probs[i], 'perturbed');
    });
    const top1 = hardenResponse(body(), m, cfg.output_policies['restricted']!);
    assert.ok(top1.ok);
    const rows = (top1.body as { predictions: Array<{ probabilities: number[][] }> }).predictions[0]!.probabilities;
    assert.deepEqual(rows, [
      [1, 0],
      [0, 1],
      [1, 0],
    ]);
  });
});


