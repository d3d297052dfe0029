import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import type { DirectoryEntry, InferenceEvent } from '../../events/index.js';
import { eventSchema } from '../../events/index.js';
import { createPrincipalResolver } from '../../events/principal.js';
import { repoRoot } from '../../util/repo-root.js';
import { detectFormat } from '../index.js';
import type { Outcome, ParseContext } from '../types.js';
import { gatewayAuditParser } from './index.js';
import { runParser } from '../../test-support/index.js';

const fixtures = join(repoRoot(), 'src', 'sources', 'gateway-audit', 'fixtures');
const fixture = (name: string): string => readFileSync(join(fixtures, name), 'utf8');

const directory: DirectoryEntry[] = [
  { principal: 'asmith', email: 'alice@example.com', displayName: 'Alice Smith', team: 'chem-ml', projects: [], role: 'scientist', manager: null, aliases: [] },
];

function ctx(): ParseContext {
  const resolver = createPrincipalResolver(directory);
  return { file: 'gw.jsonl', format: 'gateway-audit', resolvePrincipal: (raw) => resolver.resolve(raw), canonicalSmiles: () => null, options: {} };
}

function parse(text: string): Promise<Outcome[]> {
  return runParser(gatewayAuditParser, text, ctx());
}

const events = (outs: Outcome[]): InferenceEvent[] => outs.flatMap((o) => (o.type === 'event' && o.event.kind === 'inference' ? [o.event] : []));

describe('gateway-audit', () => {
  it('is detected from its schema marker and nothing else claims it', () => {
    const text = fixture('gateway-audit.jsonl');
    const lines = text.split('\n').filter(Boolean).slice(0, 20);
    assert.equal(detectFormat({ fileName: 'x.jsonl', head: text.slice(0, 65536), lines })?.parser.format, 'gateway-audit');
    assert.equal(gatewayAuditParser.detect({ fileName: 'x.jsonl', head: '{"time":"x","api":{"name":"GetObject"}}', lines: ['{"time":"x","api":{"name":"GetObject"}}'] }), 0);
  });

  it('maps lines to canonical inference events: principal via the directory, key id, model, instances, status', async () => {
    const evs = events(await parse(fixture('gateway-audit.jsonl')));
    assert.equal(evs.length, 10);
    for (const e of evs) eventSchema.parse(e);
    const first = evs[0]!;
    assert.equal(first.time, '2026-02-03T09:15:00.120Z');
    assert.deepEqual(first.principal, { raw: 'alice@example.com', canonical: 'asmith' });
    assert.equal(first.model, 'clf');
    assert.equal(first.protocol, 'kserve-v1');
    assert.equal(first.batchSize, 3);
    assert.match(first.apiKeyId!, /^[0-9a-f]{12}$/);
    assert.deepEqual(first.context, { team: 'chem-ml', role: 'scientist' });
    assert.equal(first.instances[1]!.input.type, 'smiles');
    assert.equal((first.instances[1]!.input as { canonical: string }).canonical, 'Oc1ccccc1');
    assert.equal(first.provenance.format, 'gateway-audit');
    assert.equal(first.provenance.line, 1);
    const refused = evs.filter((e) => e.outcome === 'failure').map((e) => e.httpStatus).sort();
    assert.deepEqual(refused, [413, 429, 502]);
    assert.ok(evs.some((e) => e.protocol === 'openai' && e.model === 'tiny-lm'));
  });

  it('quarantines broken lines with a precise reason', async () => {
    const outs = await parse(fixture('gateway-audit-broken.jsonl'));
    const reasons = outs.flatMap((o) => (o.type === 'quarantine' ? [o.reason] : []));
    assert.equal(events(outs).length, 3);
    assert.equal(reasons.length, 8);
    for (const frag of ['not valid JSON', 'schema is null', 'event.kind is "registry"', 'event.time is not', 'event.batchSize', 'principal.raw', 'event.protocol', 'not a JSON object']) {
      assert.ok(reasons.some((r) => r.includes(frag)), `no reason with ${frag}: ${reasons.join(' | ')}`);
    }
  });
});
