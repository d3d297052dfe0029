import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { alertSchema } from '../detect/alert.js';
import { buildContext } from '../detect/types.js';
import { createEnricher, createRuleRunner, createSigmaAlerter, derivedPlaceholders, linkDocuments, loadRuleText, pipelineOrThrow, techniqueOfTag, type RuleHit } from './index.js';

const pipeline = pipelineOrThrow();
const ctx = buildContext({
  directory: [{ principal: 'mallory', email: 'mallory@acme.example', displayName: null, team: 'comp-chem', projects: ['binding-affinity'], role: null, manager: null, aliases: [] }],
  models: [{ name: 'tox', team: 'comp-chem', classification: 'TRADE_SECRET', estimatedValue: null, artifactLocation: 's3://models/tox/', architecture: null, latestVersion: null, tags: { project: 'safety' } }],
});

function load(text: string, placeholders: Record<string, string[]> = {}): ReturnType<typeof loadRuleText>['documents'] {
  const r = loadRuleText(text, 'r.yml', { pipeline, placeholders: { ...pipeline.placeholders, ...placeholders } });
  linkDocuments(r.documents, r.problems);
  assert.deepEqual(r.problems, []);
  return r.documents;
}

const hex = (n: number): string => n.toString(16).padStart(32, '0');
const upload = (n: number, host: string, name: string): Record<string, unknown> => ({
  id: hex(n),
  kind: 'upload',
  time: new Date(Date.UTC(2026, 2, 2, 18, n)).toISOString(),
  principal: { canonical: 'mallory', raw: 'mallory@acme.example' },
  destinationHost: host,
  fileName: name,
  size: 26214400,
});

const CHAIN = `title: part
id: 0b6a1d5e-0000-4000-8000-000000000001
name: part
logsource: {product: mirrorwatch, category: upload}
detection:
  sel: {FileName|endswith: '_a*'}
  condition: sel
level: low
tags: [attack.t1567, atlas.aml.t0025]
---
title: parts
id: 0b6a1d5e-0000-4000-8000-000000000002
name: parts
correlation: {type: value_count, rules: [part], group-by: [User, DestinationHostname], timespan: 1d, condition: {gte: 3, field: FileName}}
generate: true
level: high
tags: [attack.t1567, atlas.aml.t0025]
---
title: twice
id: 0b6a1d5e-0000-4000-8000-000000000003
correlation: {type: event_count, rules: [parts], group-by: [User], timespan: 7d, condition: {gte: 2}}
generate: true
level: critical
tags: [attack.t1048, atlas.aml.t0025]
`;

describe('rule runner', () => {
  it('keeps rules only referenced by correlations without generate out of the hits (spec: correlation "Generate")', () => {
    const docs = load(CHAIN.replaceAll('generate: true\n', ''));
    const runner = createRuleRunner({ documents: docs });
    const hits: RuleHit[] = [];
    for (let i = 0; i < 6; i++) hits.push(...runner.push(upload(i, 'drive.google.com', `x_a${'bcdefg'[i]}`)));
    assert.deepEqual(
      hits.map((h) => (h.kind === 'rule' ? h.rule.title : h.correlation.title)),
      ['twice'],
    );
  });

  it('groups correlations by the pipeline-mapped fields and carries evidence ids through chains', () => {
    const runner = createRuleRunner({ documents: load(CHAIN) });
    const hits: RuleHit[] = [];
    for (let i = 0; i < 6; i++) hits.push(...runner.push(upload(i, 'drive.google.com', `x_a${'bcdefg'[i]}`)));
    hits.push(...runner.flush());
    const corr = hits.filter((h): h is Extract<RuleHit, { kind: 'correlation' }> => h.kind === 'correlation');
    const parts = corr.filter((h) => h.correlation.name === 'parts');
    assert.equal(parts.length, 2, 'six parts: two windows of three (the group starts afresh after a match)');
    assert.deepEqual(parts[0]!.match.group, { User: 'mallory', DestinationHostname: 'drive.google.com' });
    assert.deepEqual(parts[0]!.match.evidence, [hex(0), hex(1), hex(2)]);
    const twice = corr.find((h) => h.correlation.title === 'twice');
    assert.ok(twice, 'the chained correlation fires on the second match');
    assert.deepEqual(twice.match.evidence, [0, 1, 2, 3, 4, 5].map(hex), 'chained evidence is the inner matches');
  });

  it('value_count counts each element of a multi-valued field (input hashes of batched requests)', () => {
    const docs = load(`title: pred
id: 0b6a1d5e-0000-4000-8000-000000000011
name: pred
logsource: {product: mirrorwatch, category: inference}
detection: {sel: {Outcome: success}, condition: sel}
level: informational
tags: [atlas.aml.t0040]
---
title: inputs
id: 0b6a1d5e-0000-4000-8000-000000000012
correlation: {type: value_count, rules: [pred], group-by: [User], timespan: 1d, condition: {gte: 4, field: InputHash}}
level: medium
tags: [attack.t1119, atlas.aml.t0024.002]
`);
    const runner = createRuleRunner({ documents: docs, prepare: createEnricher(ctx) });
    const ev = (n: number, hashes: string[]): Record<string, unknown> => ({ id: hex(n), kind: 'inference', time: `2026-03-02T10:0${n}:00Z`, principal: { canonical: 'mallory' }, outcome: 'success', instances: hashes.map((hash) => ({ input: { hash } })) });
    assert.deepEqual(runner.push(ev(1, ['a', 'b'])), []);
    assert.deepEqual(runner.push(ev(2, ['a', 'b'])), [], 'the same two inputs again: still two distinct');
    const h = runner.push(ev(3, ['c', 'd']));
    assert.equal(h.length, 1);
    const first = h[0]!;
    assert.equal(first.kind === 'correlation' && first.match.value, 4);
  });
});

describe('enrichment', () => {
  it('resolves object keys to models and adds directory and inventory facts', () => {
    const e = createEnricher(ctx)({ kind: 'object', principal: { canonical: 'mallory' }, bucket: 'models', key: 'tox/3/model.onnx' });
    assert.deepEqual(e['enrichment'], { userTeam: 'comp-chem', userRole: null, userProjects: ['binding-affinity'], model: 'tox', modelTeam: 'comp-chem', modelProject: 'safety', modelClassification: 'TRADE_SECRET', inputHashes: [] });
    const unknown = createEnricher(ctx)({ kind: 'registry', principal: { canonical: 'nobody' }, model: 'other' });
    assert.equal((unknown['enrichment'] as { modelProject: unknown }).modelProject, null);
  });

  it('%internal_destinations% matches hosts carrying the organisation label as a whole label only', () => {
    const docs = load(
      `title: internal
id: 0b6a1d5e-0000-4000-8000-000000000021
logsource: {product: mirrorwatch, category: upload}
detection: {sel: {DestinationHostname|expand: '%internal_destinations%'}, condition: sel}
level: low
tags: [attack.t1567]
`,
      derivedPlaceholders(ctx),
    );
    const rule = docs[0]!;
    assert.equal(rule.type, 'rule');
    if (rule.type !== 'rule') return;
    const m = (host: string): boolean => createRuleRunner({ documents: docs }).push({ kind: 'upload', destinationHost: host }).length > 0;
    for (const h of ['acme.box.com', 'acme-backup.s3.eu-central-1.amazonaws.com', 'eln.acme.example', 'acme', 'eu-acme.sharepoint.com']) assert.ok(m(h), h);
    for (const h of ['app.box.com', 'acmex.com', 'notacme.example', 'drive.google.com']) assert.ok(!m(h), h);
  });
});

describe('Sigma alerts', () => {
  const docs = load(CHAIN);
  it('look like every other alert, one per rule, principal and day, evidence merged', () => {
    const runner = createRuleRunner({ documents: docs });
    const alerter = createSigmaAlerter();
    for (let i = 0; i < 6; i++) for (const h of runner.push(upload(i, 'drive.google.com', `x_a${'bcdefg'[i]}`))) alerter.add(h);
    for (const h of runner.flush()) alerter.add(h);
    const alerts = alerter.alerts();
    for (const a of alerts) assert.doesNotThrow(() => alertSchema.parse(a), JSON.stringify(a));
    const byRule = new Map(alerts.map((a) => [a.detector, a]));
    assert.equal(alerts.length, 3, 'part, parts and twice: one alert each for the day');
    assert.deepEqual(byRule.get('0b6a1d5e-0000-4000-8000-000000000001')!.evidence, [0, 1, 2, 3, 4, 5].map(hex));
    const parts = byRule.get('0b6a1d5e-0000-4000-8000-000000000002')!;
    assert.equal(parts.severity, 'high');
    assert.equal(parts.principal, 'mallory');
    assert.deepEqual(parts.techniques, ['T1567', 'AML.T0025']);
    assert.equal(parts.threshold, 3);
    assert.equal(byRule.get('0b6a1d5e-0000-4000-8000-000000000003')!.severity, 'critical');
  });

  it('refuses (and counts) hits of rules without a technique MirrorWatch knows', () => {
    const d = load(`title: no tags
id: 0b6a1d5e-0000-4000-8000-000000000031
logsource: {product: mirrorwatch, category: upload}
detection: {sel: {FileName: x}, condition: sel}
level: high
tags: [attack.t1059]
`);
    const alerter = createSigmaAlerter();
    for (const h of createRuleRunner({ documents: d }).push({ ...upload(1, 'h', 'x') })) alerter.add(h);
    assert.deepEqual(alerter.alerts(), []);
    assert.equal(alerter.refused().get('0b6a1d5e-0000-4000-8000-000000000031')?.count, 1);
  });

  it('maps tags to technique ids', () => {
    assert.equal(techniqueOfTag('attack.t1036.005'), 'T1036.005');
    assert.equal(techniqueOfTag('atlas.aml.t0048.004'), 'AML.T0048.004');
    assert.equal(techniqueOfTag('attack.exfiltration'), undefined);
  });
});
