import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { withTempDir } from '../test-support/index.js';
import { AUDIT_SCHEMA, RotatingAuditWriter, type ActionLine } from './audit.js';

function line(i: number, reason: string): ActionLine {
  return { schema: AUDIT_SCHEMA, kind: 'gateway_action', time: new Date(Date.UTC(2026, 0, 1) + i).toISOString(), principal: `p${i}`, action: 'none', source: 'risk', reasons: [reason], details: { i } };
}

/** Every line of every file the writer made, files in name order (the order ingestion reads them). */
function readAll(dir: string): ActionLine[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.jsonl'))
    .sort()
    .flatMap((f) => readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
    .map((l) => JSON.parse(l) as ActionLine);
}

describe('audit writer: batching loses nothing', () => {
  for (const seed of [1, 2, 3]) {
    it(`writes every line once, in order, when closed right after a burst (seed ${seed})`, async () => {
      await withTempDir(async (dir) => {
        // Small files force rotation mid-burst; lines vary from short to larger than a whole chunk,
        // with multi-byte characters, so chunk boundaries fall everywhere.
        const w = new RotatingAuditWriter(dir, 200_000, 1000);
        const n = 3000 + seed * 500;
        let x = seed;
        const rnd = (): number => ((x = (x * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
        const sent: ActionLine[] = [];
        for (let i = 0; i < n; i++) {
          const len = i % 997 === 0 ? 150_000 : Math.floor(rnd() * 600);
          const l = line(i, (i % 3 === 0 ? 'ü€😀' : 'a').repeat(len));
          sent.push(l);
          w.write(l);
          // Some bursts span timer flushes, some don't.
          if (i % 1000 === 999) await new Promise((r) => setTimeout(r, 15));
        }
        await w.close();
        assert.equal(w.dropped, 0);
        const got = readAll(dir);
        assert.equal(got.length, n, 'one line per write');
        assert.deepEqual(
          got.map((l) => l.details['i']),
          sent.map((_, i) => i),
          'in write order across files',
        );
        assert.deepEqual(got, sent, 'byte for byte the same lines');
        assert.ok(readdirSync(dir).length > 1, 'the burst rotated files');
      });
    });
  }

  it('counts lines the disk refused as dropped, not as written', async () => {
    await withTempDir(async (dir) => {
      const w = new RotatingAuditWriter(dir, 1_000_000, 10);
      w.write(line(0, 'kept'));
      await new Promise((r) => setTimeout(r, 30));
      // A read-only descriptor under the writer: the next writes fail (EBADF).
      const internals = w as unknown as { fd: number };
      const { openSync, closeSync } = await import('node:fs');
      const file = readdirSync(dir).find((f) => f.endsWith('.jsonl'))!;
      const good = internals.fd;
      internals.fd = openSync(join(dir, file), 'r');
      for (let i = 1; i <= 5; i++) w.write(line(i, 'lost'));
      await new Promise((r) => setTimeout(r, 30));
      assert.equal(w.dropped, 5);
      closeSync(internals.fd);
      internals.fd = good;
      w.write(line(6, 'kept again'));
      await w.close();
      assert.deepEqual(
        readAll(dir).map((l) => l.details['i']),
        [0, 6],
      );
    });
  });
});
