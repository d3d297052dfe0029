import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { it } from 'node:test';
import { inference, person } from '../detect/testkit.js';
import { eventSchema } from '../events/index.js';
import { sharedChem, withMemoryStore } from '../test-support/index.js';
import { repoRoot } from '../util/repo-root.js';
import { mulberry32 } from '../util/prng.js';
import { chemistryView, pca2 } from './chemistry.js';

const DAY = 86_400_000;
const T0 = Date.parse('2026-02-02T09:00:00Z');
const SUBSTITUENTS = ['C', 'CC', 'O', 'N', 'Cl', 'F', 'Br', 'OC', 'C(=O)C', 'C(F)(F)F', 'C#N', 'S', 'CCC', 'C(C)C', 'N(C)C'];

/** A focused research series: one scaffold with substituents at two positions. */
function series(): string[] {
  const out: string[] = [];
  for (const a of SUBSTITUENTS) for (const b of SUBSTITUENTS) out.push(`${a}c1ccc(cc1)C(=O)Nc1ccccc1${b}`);
  return out;
}

function pool(n: number, seed: number): string[] {
  const lines = gunzipSync(readFileSync(join(repoRoot(), 'data', 'molecules', 'pool.tsv.gz'))).toString('utf8').split('\n').slice(1).filter(Boolean);
  const r = mulberry32(seed);
  return Array.from({ length: n }, () => lines[Math.floor(r() * lines.length)]!.split('\t')[0]!);
}

it('pca2 separates two clusters on the first axis', () => {
  const r = mulberry32(3);
  const rows = Array.from({ length: 60 }, (_, i) => Float64Array.from({ length: 32 }, (_, j) => ((i < 30 ? j < 16 : j >= 16) ? 1 : 0) * (r() < 0.9 ? 1 : 0)));
  const { coords, explained } = pca2(rows, mulberry32(1));
  const a = coords.slice(0, 30).map((c) => c[0]);
  const b = coords.slice(30).map((c) => c[0]);
  assert.ok(Math.max(...a) < Math.min(...b) || Math.min(...a) > Math.max(...b), 'clusters do not overlap on PC1');
  assert.ok(explained[0] > 0.5 && explained[0] >= explained[1]);
});

for (const seed of [1, 2, 3]) {
  it(`a principal leaving their series shows falling focus and rising diversity (seed ${seed})`, async () => {
    const chem = await sharedChem();
    await withMemoryStore(async (store) => {
      await store.putReference('directory', 'default', ['eve', 'tom'].map((p) => ({ kind: 'directory', entry: person(p, 'comp-chem', ['binding-affinity']) })), 'd.csv');
      const s = series();
      const r = mulberry32(seed);
      const pick = (xs: string[], n: number): string[] => Array.from({ length: n }, () => xs[Math.floor(r() * xs.length)]!);
      const events = [];
      for (let d = 0; d < 8; d++) {
        events.push(inference('eve', T0 + d * DAY, 60, 'm', pick(s, 60)));
        events.push(inference('tom', T0 + d * DAY + 3600_000, 60, 'm', pick(s, 60)));
      }
      events.push(inference('eve', T0 + 8 * DAY, 60, 'm', pool(60, seed)));
      await store.append(events.map((e) => ({ event: eventSchema.parse(e), raw: '{}' })), []);
      const v = await chemistryView(store, chem, 'eve');
      assert.equal(v.team, 'comp-chem');
      assert.ok(v.points.some((p) => p.group === 'principal') && v.points.some((p) => p.group === 'team'));
      assert.ok(v.points.every((p) => Number.isFinite(p.x) && Number.isFinite(p.y)));
      const last = v.days[v.days.length - 1]!;
      const before = v.days.slice(1, -1);
      assert.equal(v.days.length, 9);
      for (const d of before) {
        assert.ok(d.focus == null || d.focus > last.focus! + 0.2, `focus ${d.focus} on ${d.day} vs ${last.focus} on the extraction day`);
        assert.ok(d.diversity! < last.diversity!, `diversity ${d.diversity} vs ${last.diversity}`);
      }
      const again = await chemistryView(store, chem, 'eve');
      assert.deepEqual(again, v, 'deterministic');
    });
  });
}
