import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createPrincipalResolver } from './principal.js';
import { mlPlatformParsers } from '../sources/ml-platform/index.js';
import type { ParseContext } from '../sources/types.js';
import { lineRecords } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { ingestEventSchema } from './index.js';
import type { MwEvent } from './index.js';
import { checkEvent } from './validate.js';

const fixtures = join(repoRoot(), 'src', 'sources', 'ml-platform', 'fixtures');

function fixtureEvents(): MwEvent[] {
  const resolver = createPrincipalResolver([]);
  const out: MwEvent[] = [];
  for (const [parser, file] of mlPlatformParsers.map((p, i) => [p, ['MLPlatformLogs.jsonl', 'DLPLogs.jsonl', 'HREvents.jsonl'][i]!] as const)) {
    const ctx: ParseContext = { file, format: parser.format, resolvePrincipal: (r) => resolver.resolve(r), canonicalSmiles: (s) => s, options: {} };
    for (const r of lineRecords(readFileSync(join(fixtures, file), 'utf8'))) {
      const o = parser.parseRecord!(r, ctx);
      for (const x of Array.isArray(o) ? o : [o]) if (x.type === 'event') out.push(x.event);
    }
  }
  return out;
}

const values = fc.oneof(
  fc.constant(undefined),
  fc.constant(null),
  fc.constantFrom(NaN, Infinity, -1, 1.5, 0, 2 ** 60),
  fc.string({ maxLength: 8 }),
  fc.constantFrom('2026-02-03T09:15:02Z', '2026-02-03 09:15:02', 'inference', 'hr', 'upload', 'a'.repeat(32), 'f'.repeat(64)),
  fc.array(fc.integer(), { maxLength: 2 }),
  fc.dictionary(fc.string({ maxLength: 4 }), fc.integer(), { maxKeys: 2 }),
);

/** Sets a value at a random path of the event (top level or one level down). */
function mutate(e: MwEvent, keyPick: number, subPick: number, value: unknown): unknown {
  const copy = structuredClone(e) as unknown as Record<string, unknown>;
  const keys = Object.keys(copy);
  const k = keys[keyPick % keys.length]!;
  const inner = copy[k];
  if (inner && typeof inner === 'object' && !Array.isArray(inner) && subPick % 2 === 0) {
    const ik = Object.keys(inner);
    if (ik.length) (inner as Record<string, unknown>)[ik[subPick % ik.length]!] = value;
  } else if (value === undefined) delete copy[k];
  else copy[k] = value;
  return copy;
}

describe('compiled event validation', () => {
  const events = fixtureEvents();

  it('accepts every event the parsers build and fills the same defaults as zod', () => {
    assert.ok(events.length >= 10);
    for (const e of events) {
      const { sourceIp: _s, userAgent: _u, context: _c, ...bare } = structuredClone(e);
      const mine = checkEvent(structuredClone(bare));
      assert.ok(mine.ok, JSON.stringify(e));
      assert.deepEqual(mine.event, ingestEventSchema.parse(bare));
    }
  });

  it('agrees with zod on mutated events, and rejects with zod\'s reason (property)', () => {
    fc.assert(
      fc.property(fc.nat(events.length - 1), fc.nat(), fc.nat(), values, (i, k, sub, v) => {
        const x = mutate(events[i]!, k, sub, v);
        const z = ingestEventSchema.safeParse(structuredClone(x));
        const mine = checkEvent(structuredClone(x));
        assert.equal(mine.ok, z.success, JSON.stringify(x));
        if (!mine.ok) assert.match(mine.reason, /^invalid event: /);
      }),
      { numRuns: 2000 },
    );
  });
});
