/** Correlation rules in event time (spec: correlation rules v2.1). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createCorrelationEngine, linkDocuments, loadRuleText, match, type CompiledCorrelation, type CompiledRule, type SigmaEvent, type SigmaProblem } from './index.js';

const MIN = 60_000;

function load(text: string): { rules: CompiledRule[]; correlations: CompiledCorrelation[] } {
  const r = loadRuleText(text, 'c.yml');
  assert.deepEqual(r.problems, []);
  return {
    rules: r.documents.filter((d): d is CompiledRule => d.type === 'rule'),
    correlations: r.documents.filter((d): d is CompiledCorrelation => d.type === 'correlation'),
  };
}

/** Runs events through base rules then the correlation engine, returning correlation titles with their groups. */
function run(text: string, events: [number, SigmaEvent][], opts = {}): { title: string; group: Record<string, unknown>; value: number }[] {
  const { rules, correlations } = load(text);
  const engine = createCorrelationEngine(correlations, opts);
  const out: { title: string; group: Record<string, unknown>; value: number }[] = [];
  for (const [t, e] of events) {
    for (const r of rules) {
      if (!match(r, e)) continue;
      for (const mt of engine.push(r, e, t)) out.push({ title: mt.correlation.title, group: mt.group, value: mt.value });
    }
  }
  return out;
}

const FAILED = `title: failed login
name: failed_login
id: 5638f7c0-ac70-491d-8465-2a65075e0d86
logsource: {product: test}
detection:
    sel: {outcome: failure, action: login}
    condition: sel
---
title: ok login
name: successful_login
logsource: {product: test}
detection:
    sel: {outcome: success, action: login}
    condition: sel
`;

describe('correlation types', () => {
  it('event_count: gte within the timespan, per group, once per burst', () => {
    const text = `${FAILED}---
title: Many failed logins
correlation:
    type: event_count
    rules: [5638f7c0-ac70-491d-8465-2a65075e0d86]
    group-by: [user]
    timespan: 10m
    condition: {gte: 3}
`;
    const f = (user: string): SigmaEvent => ({ action: 'login', outcome: 'failure', user });
    const got = run(text, [
      [0, f('a')],
      [1 * MIN, f('b')],
      [2 * MIN, f('a')],
      [20 * MIN, f('a')], // the first two have left the window
      [21 * MIN, f('a')],
      [22 * MIN, f('a')],
      [23 * MIN, f('a')],
    ]);
    assert.deepEqual(got, [{ title: 'Many failed logins', group: { user: 'a' }, value: 3 }]);
  });
  it('condition ranges: gt and lte together', () => {
    const text = `${FAILED}---
title: band
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user]
    timespan: 1h
    condition: {gt: 1, lte: 2}
`;
    const got = run(text, [
      [0, { action: 'login', outcome: 'failure', user: 'a' }],
      [1, { action: 'login', outcome: 'failure', user: 'a' }],
    ]);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.value, 2);
  });
  it('value_count: distinct values of the field', () => {
    const text = `${FAILED}---
title: spray
correlation:
    type: value_count
    rules: [failed_login]
    group-by: [src]
    timespan: 1h
    condition: {field: user, gte: 3}
`;
    const e = (user: string): SigmaEvent => ({ action: 'login', outcome: 'failure', src: '1.2.3.4', user });
    assert.deepEqual(run(text, [[0, e('a')], [1, e('a')], [2, e('b')]]), []);
    assert.deepEqual(run(text, [[0, e('a')], [1, e('b')], [2, e('c')]]).map((x) => x.value), [3]);
  });
  it('value_sum and value_avg', () => {
    const base = `title: up
name: upload
logsource: {product: test}
detection:
    sel: {kind: upload}
    condition: sel
`;
    const sum = `${base}---
title: exfil
correlation:
    type: value_sum
    rules: [upload]
    group-by: [user]
    timespan: 1h
    condition: {field: bytes, gt: 1000}
`;
    const u = (bytes: number): SigmaEvent => ({ kind: 'upload', user: 'a', bytes });
    assert.deepEqual(run(sum, [[0, u(400)], [1, u(400)], [2, u(400)]]).map((x) => x.value), [1200]);
    const avg = sum.replace('value_sum', 'value_avg').replace('gt: 1000', 'gt: 500');
    assert.deepEqual(run(avg, [[0, u(400)], [1, u(700)]]).map((x) => x.value), [550]);
  });
  it('value_percentile: the newest value is rare within the window', () => {
    const text = `title: proc
name: process_creation
logsource: {product: test}
detection:
    sel: {kind: proc}
    condition: sel
---
title: rare
correlation:
    type: value_percentile
    rules: [process_creation]
    group-by: [host]
    timespan: 1d
    condition: {field: image, lte: 10}
`;
    const evs: [number, SigmaEvent][] = [];
    for (let i = 0; i < 19; i++) evs.push([i, { kind: 'proc', host: 'h', image: 'svchost.exe' }]);
    evs.push([20, { kind: 'proc', host: 'h', image: 'evil.exe' }]);
    const got = run(text, evs);
    assert.equal(got.length, 1);
    assert.equal(got[0]!.value, 5);
  });
  it('temporal: every rule in any order; temporal_ordered: in the listed order', () => {
    const t = `${FAILED}---
title: both
correlation:
    type: temporal
    rules: [failed_login, successful_login]
    group-by: [user]
    timespan: 5m
`;
    const ok = { action: 'login', outcome: 'success', user: 'a' };
    const bad = { action: 'login', outcome: 'failure', user: 'a' };
    assert.equal(run(t, [[0, ok], [MIN, bad]]).length, 1);
    assert.equal(run(t, [[0, ok], [10 * MIN, bad]]).length, 0);
    const o = t.replace('type: temporal', 'type: temporal_ordered');
    assert.equal(run(o, [[0, ok], [MIN, bad]]).length, 0);
    assert.equal(run(o, [[0, bad], [MIN, ok]]).length, 1);
  });
});

describe('aliases, chaining, generate, bounds', () => {
  it('aliases group different fields of different rules (spec "Field Name Aliases")', () => {
    const text = `title: internal error
name: internal_error
logsource: {product: test}
detection:
    selection: {http.response.status_code: 500}
    condition: selection
---
title: new connection
name: new_network_connection
logsource: {product: test}
detection:
    selection: {event.type: connection}
    condition: selection
---
title: error then connection
correlation:
    type: temporal
    rules: [internal_error, new_network_connection]
    group-by: [internal_ip, remote_ip]
    timespan: 10s
    aliases:
        internal_ip:
            internal_error: destination.ip
            new_network_connection: source.ip
        remote_ip:
            internal_error: source.ip
            new_network_connection: destination.ip
`;
    const err = { http: { response: { status_code: 500 } }, source: { ip: '1.1.1.1' }, destination: { ip: '10.0.0.5' } };
    const conn = { event: { type: 'connection' }, source: { ip: '10.0.0.5' }, destination: { ip: '1.1.1.1' } };
    const other = { event: { type: 'connection' }, source: { ip: '10.0.0.6' }, destination: { ip: '1.1.1.1' } };
    assert.deepEqual(run(text, [[0, err], [1000, other]]), []);
    assert.deepEqual(run(text, [[0, err], [1000, conn]])[0]?.group, { internal_ip: '10.0.0.5', remote_ip: '1.1.1.1' });
  });
  it('chaining: a correlation of a correlation (the spec example: many failures then a success)', () => {
    const text = `${FAILED}---
title: many failed
name: many_failed_logins
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user]
    timespan: 10m
    condition: {gte: 3}
---
title: brute force success
correlation:
    type: temporal_ordered
    rules: [many_failed_logins, successful_login]
    group-by: [user]
    timespan: 1h
`;
    const bad = { action: 'login', outcome: 'failure', user: 'a' };
    const ok = { action: 'login', outcome: 'success', user: 'a' };
    const got = run(text, [[0, bad], [1, bad], [2, bad], [MIN, ok]]).map((x) => x.title);
    assert.deepEqual(got, ['many failed', 'brute force success']);
  });
  it('base rules referenced by a correlation are not standalone unless generate: true', () => {
    const text = `${FAILED}---
title: c
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user]
    timespan: 1m
    condition: {gte: 2}
`;
    const docs = loadRuleText(text, 'c.yml').documents;
    // Linking happens over a whole set of documents (loadRuleFiles does it for files).
    linkDocuments(docs, []);
    assert.equal(docs.find((d): d is CompiledRule => d.name === 'failed_login')!.standalone, false);
    assert.equal(docs.find((d): d is CompiledRule => d.name === 'successful_login')!.standalone, true);
    const g = loadRuleText(text.replace('timespan: 1m', 'timespan: 1m\n    generate: true'), 'c.yml').documents;
    linkDocuments(g, []);
    assert.equal(g.find((d): d is CompiledRule => d.name === 'failed_login')!.standalone, true);
  });
  it('a filter suppresses the matches of the rules it names (spec: filters)', () => {
    const text = `${FAILED}---
title: ignore service accounts
logsource: {product: test}
filter:
    rules: [failed_login]
    selection: {user|startswith: svc_}
    condition: selection
`;
    const docs = loadRuleText(text, 'f.yml').documents;
    const problems: SigmaProblem[] = [];
    linkDocuments(docs, problems);
    assert.deepEqual(problems, []);
    const rule = docs.find((d): d is CompiledRule => d.name === 'failed_login')!;
    assert.ok(match(rule, { action: 'login', outcome: 'failure', user: 'alice' }));
    assert.ok(!match(rule, { action: 'login', outcome: 'failure', user: 'svc_backup' }));
    const other = loadRuleText(text.replace('{product: test}\nfilter', '{product: other}\nfilter'), 'f.yml').documents;
    const otherProblems: SigmaProblem[] = [];
    linkDocuments(other, otherProblems);
    assert.match(otherProblems[0]?.message ?? '', /logsource differs/);
  });
  it('state stays bounded: groups and per-group entries are capped', () => {
    const text = `${FAILED}---
title: c
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user]
    timespan: 1d
    condition: {gte: 1000000}
`;
    const { rules, correlations } = load(text);
    const engine = createCorrelationEngine(correlations, { maxGroups: 100, maxEventsPerGroup: 50 });
    for (let i = 0; i < 5000; i++) engine.push(rules[0]!, { user: `u${i % 300}` }, i);
    assert.equal(engine.size(), 100);
  });
  it('"at most N" conditions are judged when the window closes; old groups are dropped by event time', () => {
    const text = `${FAILED}---
title: few
correlation:
    type: event_count
    rules: [failed_login]
    group-by: [user]
    timespan: 10m
    condition: {lt: 3}
`;
    const { rules, correlations } = load(text);
    const engine = createCorrelationEngine(correlations);
    const f = (user: string): SigmaEvent => ({ action: 'login', outcome: 'failure', user });
    const out = [];
    for (const [t, u] of [[0, 'a'], [MIN, 'a'], [0, 'b'], [MIN, 'b'], [2 * MIN, 'b'], [3 * MIN, 'b']] as [number, string][]) out.push(...engine.push(rules[0]!, f(u), t));
    assert.deepEqual(out, []);
    assert.equal(engine.size(), 2);
    const closed = engine.advance(11 * MIN);
    assert.deepEqual(closed.map((m) => [m.group, m.value]), [[{ user: 'a' }, 2]]);
    assert.equal(engine.size(), 0);
    engine.push(rules[0]!, f('c'), 20 * MIN);
    assert.deepEqual(engine.flush().map((m) => m.group), [{ user: 'c' }]);
  });
  it('bad timespan and missing field are load errors with positions', () => {
    const r = loadRuleText('title: x\ncorrelation:\n    type: value_count\n    rules: [a]\n    group-by: [u]\n    timespan: 5 minutes\n    condition: {gte: 2}\n', 'bad.yml');
    const codes = r.problems.filter((p) => p.code === 'MW_ERR_SIGMA_CORRELATION').map((p) => [p.line, p.message]);
    assert.deepEqual(codes, [
      [6, "timespan '5 minutes' is not a number followed by s, m, h or d"],
      [7, 'value_count needs condition.field'],
    ]);
  });
});
