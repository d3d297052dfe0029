import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { withMemoryStore } from '../test-support/index.js';
import { canonicalJson, createEvidenceLog, EVIDENCE_COLLECTION, verifyEntries, type EvidenceEntry } from './evidence.js';

async function chain(n: number): Promise<EvidenceEntry[]> {
  return withMemoryStore(async (store) => {
    let t = Date.parse('2026-03-01T00:00:00Z');
    const log = createEvidenceLog(store, () => (t += 1000));
    for (let i = 0; i < n; i++) await log.append({ kind: i % 2 ? 'note' : 'action', incident: 'inc1', actor: `user${i % 3}`, body: { i, text: `entry ${i}` } });
    const v = await log.verify();
    assert.equal(v.ok, true);
    assert.equal(v.entries, n);
    return log.entries();
  });
}

const headOf = (es: readonly EvidenceEntry[]): { seq: number; hash: string } => ({ seq: es.length, hash: es[es.length - 1]!.hash });

describe('evidence hash chain', () => {
  it('names the first broken entry for an edit, a deletion, a reordering and a truncated tail', async () => {
    const es = await chain(8);
    const head = headOf(es);
    assert.equal(verifyEntries(es, head).ok, true);

    const edited = es.map((e) => (e.seq === 4 ? { ...e, body: { i: 3, text: 'softened' } } : e));
    assert.deepEqual([verifyEntries(edited, head).broken?.seq, /edited/.test(verifyEntries(edited, head).broken!.reason)], [4, true]);

    // An edit that also recomputes its own hash is caught by the next entry.
    const rehashed = edited.map((e) => (e.seq === 4 ? { ...e, hash: 'f'.repeat(64) } : e));
    assert.equal(verifyEntries(rehashed, head).broken?.seq, 4);

    const deleted = es.filter((e) => e.seq !== 5);
    const d = verifyEntries(deleted, head).broken!;
    assert.equal(d.position, 5);
    assert.match(d.reason, /missing/);

    const swapped = [...es];
    [swapped[2], swapped[3]] = [swapped[3]!, swapped[2]!];
    assert.equal(verifyEntries(swapped, head).broken?.position, 3);

    // Renumbered after a deletion: the chain of previous hashes still breaks.
    const renumbered = deleted.map((e, i) => ({ ...e, seq: i + 1 }));
    assert.equal(verifyEntries(renumbered, head).ok, false);

    const truncated = es.slice(0, 6);
    const t = verifyEntries(truncated, head);
    assert.equal(t.ok, false);
    assert.match(t.broken!.reason, /removed from the end/);
  });

  it('any single-field change anywhere is detected (property)', async () => {
    const es = await chain(6);
    const head = headOf(es);
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 5 }), fc.constantFrom('at', 'kind', 'actor', 'incident', 'body', 'prev'), fc.string({ minLength: 1, maxLength: 8 }), (i, field, value) => {
        const copy = es.map((e) => ({ ...e }));
        const before = canonicalJson(copy[i]![field as keyof EvidenceEntry]);
        (copy[i] as unknown as Record<string, unknown>)[field] = field === 'body' ? { replaced: value } : value;
        if (canonicalJson(copy[i]![field as keyof EvidenceEntry]) === before) return;
        const v = verifyEntries(copy, head);
        assert.equal(v.ok, false);
        assert.equal(v.broken!.position, i + 1);
      }),
      { numRuns: 200, seed: 53 },
    );
  });

  it('detects tampering with the stored documents through verify()', async () => {
    await withMemoryStore(async (store) => {
      const log = createEvidenceLog(store, () => Date.parse('2026-03-01T00:00:00Z'));
      for (let i = 0; i < 4; i++) await log.append({ kind: 'note', incident: 'inc1', actor: 'a', body: { i } });
      assert.equal((await log.verify()).ok, true);
      assert.equal(await store.deleteDocument(EVIDENCE_COLLECTION, '000000000002'), true);
      const v = await log.verify();
      assert.equal(v.ok, false);
      assert.equal(v.broken?.position, 2);
    });
  });

  it('concurrent appends get distinct, consecutive sequence numbers', async () => {
    await withMemoryStore(async (store) => {
      const log = createEvidenceLog(store);
      await Promise.all(Array.from({ length: 10 }, (_, i) => log.append({ kind: 'note', incident: null, actor: 'a', body: { i } })));
      const es = await log.entries();
      assert.deepEqual(es.map((e) => e.seq), [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
      assert.equal((await log.verify()).ok, true);
    });
  });
});
