import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { EXPLANATION_FIELDS, instanceSchema } from '../events/index.js';
import type { Instance, MwEvent } from '../events/index.js';
import { moleculeHash } from '../sources/shared/bodies.js';
import { decodeEvent, decodeInstances, encodeEvent, encodeInstances, EMPTY_CANONICAL } from './encode.js';
import type { EncodedEvent, EncodedInstances, StoredRow } from './encode.js';

const hash = fc.stringMatching(/^[0-9a-f]{24}$/);
const num = fc.double({ noNaN: true, noDefaultInfinity: true });
const input = fc.oneof(
  // The hash the body decoder gives a molecule (the usual case, left out of the store).
  fc.tuple(fc.string(), fc.option(fc.string(), { nil: null })).map(([smiles, canonical]) => ({
    type: 'smiles' as const,
    smiles,
    canonical,
    hash: moleculeHash(canonical ?? `raw:${smiles}`),
  })),
  fc.record({ type: fc.constant('smiles' as const), smiles: fc.string(), canonical: fc.option(fc.string(), { nil: null }), hash }),
  // Canonical equal to the input (the usual case, stored as ''), and the empty canonical form.
  fc.string().chain((s) => fc.record({ type: fc.constant('smiles' as const), smiles: fc.constant(s), canonical: fc.constantFrom(s, ''), hash })),
  fc.record({ type: fc.constant('features' as const), hash, features: fc.option(fc.array(num, { maxLength: 8 }), { nil: null }) }),
  fc.record({ type: fc.constant('text' as const), hash, length: fc.nat() }),
);
const output = fc.option(
  fc.record({
    prediction: fc.oneof(num, fc.string(), fc.array(num, { maxLength: 4 }), fc.constant(null)),
    confidence: fc.option(num, { nil: null }),
    intervalWidth: fc.option(num, { nil: null }),
    // Any order and repeats: the usual sorted list is stored as a bit mask, anything else as it is.
    explanations: fc.oneof(fc.subarray([...EXPLANATION_FIELDS].sort()), fc.array(fc.constantFrom(...EXPLANATION_FIELDS), { maxLength: 6 })),
  }),
  { nil: null },
);
const instances = fc.array(fc.record({ input, output }), { maxLength: 12 });

/** What the store does: JSON out, JSON back. */
function roundTrip(list: Instance[]): Instance[] {
  return decodeInstances(JSON.parse(JSON.stringify(encodeInstances(list))) as EncodedInstances);
}

describe('instance storage encoding', () => {
  it('decodes to exactly the instances it encoded (property)', () => {
    fc.assert(
      fc.property(instances, (list) => {
        // -0 does not survive JSON in any layout; the old one had the same limit.
        const norm = JSON.parse(JSON.stringify(list)) as Instance[];
        for (const i of norm) instanceSchema.parse(i);
        assert.deepEqual(roundTrip(norm), norm);
      }),
      { numRuns: 500 },
    );
  });

  it('leaves out a canonical form equal to the input and keeps the empty one apart', () => {
    const list: Instance[] = [
      { input: { type: 'smiles', smiles: 'CCO', canonical: 'CCO', hash: 'a'.repeat(24) }, output: null },
      { input: { type: 'smiles', smiles: 'OCC', canonical: 'CCO', hash: 'b'.repeat(24) }, output: null },
      { input: { type: 'smiles', smiles: 'x', canonical: '', hash: 'c'.repeat(24) }, output: null },
      { input: { type: 'smiles', smiles: 'C1CC', canonical: null, hash: 'd'.repeat(24) }, output: null },
    ];
    const enc = encodeInstances(list);
    assert.deepEqual(enc.k, ['', 'CCO', EMPTY_CANONICAL, null]);
    // One mask for all when the instances share it.
    assert.equal(enc.x, -1);
    assert.deepEqual(roundTrip(list), list);
  });

  it('leaves out usual values and hashes readers can derive, and keeps the rest', () => {
    const list: Instance[] = [
      { input: { type: 'smiles', smiles: 'OCC', canonical: 'CCO', hash: moleculeHash('CCO') }, output: null },
      { input: { type: 'smiles', smiles: 'C1CC', canonical: null, hash: moleculeHash('raw:C1CC') }, output: null },
    ];
    const enc = encodeInstances(list);
    assert.deepEqual(Object.keys(enc), ['s', 'k', 'p', 'c', 'w', 'x']);
    assert.deepEqual(roundTrip(list), list);
    // A hash that is not the molecule hash is kept; a features input brings the type and hash arrays back.
    const other: Instance[] = [
      list[0]!,
      { input: { type: 'smiles', smiles: 'CCO', canonical: 'CCO', hash: 'e'.repeat(24) }, output: null },
      { input: { type: 'features', hash: 'f'.repeat(24), features: [1, 2] }, output: { prediction: 1, confidence: null, intervalWidth: null, explanations: ['logprobs'] } },
    ];
    const enc2 = encodeInstances(other);
    assert.deepEqual(enc2.t, ['s', 's', 'f']);
    assert.deepEqual(enc2.h, [null, 'e'.repeat(24), 'f'.repeat(24)]);
    assert.deepEqual(enc2.x, [-1, -1, 8]);
    assert.equal(enc2.n, undefined);
    assert.deepEqual(roundTrip(other), other);
  });

  it('decodes the schema 2 layout (every array written)', () => {
    fc.assert(
      fc.property(instances, (list) => {
        const norm = JSON.parse(JSON.stringify(list)) as Instance[];
        assert.deepEqual(decodeInstances(JSON.parse(JSON.stringify(schema2(norm))) as EncodedInstances), norm);
      }),
      { numRuns: 200 },
    );
  });
});

describe('event storage encoding', () => {
  const event = {
    id: 'a'.repeat(32),
    time: '2026-02-01T00:00:00.240Z',
    principal: { raw: 'User89@pharma.example', canonical: 'user89@pharma.example' },
    provenance: { format: 'ml-platform-logs', file: 'logs.jsonl', line: 3, offset: 812, recordHash: 'b'.repeat(64) },
    kind: 'registry',
    sourceIp: null,
    userAgent: null,
    context: null,
    action: 'download_artifact',
    model: 'm',
    modelVersion: '3',
    artifactUri: null,
    bytes: 10,
    outcome: 'success',
    httpStatus: 200,
    operation: 'model_download',
  } as MwEvent;
  const row = (enc: EncodedEvent): StoredRow => ({ ...enc, kind: enc.kind });

  it('leaves the envelope the columns hold out of the body and rebuilds it, key order included', () => {
    const enc = encodeEvent(event, '{}');
    assert.equal(enc.body, '{"@":812,"sourceIp":null,"userAgent":null,"context":null,"action":"download_artifact","model":"m","modelVersion":"3","artifactUri":null,"bytes":10,"outcome":"success","httpStatus":200,"operation":"model_download"}');
    const back = decodeEvent(row(enc));
    assert.deepEqual(back, event);
    assert.deepEqual(Object.keys(back), Object.keys(event));
    assert.deepEqual(Object.keys(back.provenance), Object.keys(event.provenance));
  });

  it('keeps the whole event in the body when the columns cannot rebuild its envelope', () => {
    for (const e of [{ ...event, time: '2026-02-01T00:00:00Z' }, { ...event, time: '2026-02-01T00:00:00.240123Z' }, Object.assign({ kind: event.kind }, event)]) {
      const enc = encodeEvent(e as MwEvent, '{}');
      const body = JSON.parse(enc.body) as Record<string, unknown>;
      assert.ok(!('@' in body) && body['id'] === e.id && body['time'] === e.time, enc.body);
      assert.deepEqual(decodeEvent(row(enc)), e);
    }
  });
});

/** Instances as schema 2 wrote them: every array, one entry per instance. */
function schema2(list: Instance[]): Record<string, unknown[]> {
  const enc = encodeInstances(list);
  const n = list.length;
  const all = <T>(a: T[] | undefined, v: T): T[] => a ?? Array.from({ length: n }, () => v);
  return {
    t: all(enc.t, 's'),
    s: enc.s,
    k: all(enc.k, ''),
    h: list.map((i) => i.input.hash),
    f: all(enc.f, null),
    n: all(enc.n, null),
    p: enc.p,
    c: enc.c,
    w: enc.w,
    x: typeof enc.x === 'number' ? all(undefined, enc.x) : enc.x,
  };
}
