/**
 * A principal's queries in chemical space, for the Principal page: a 2-D
 * map of their molecules against their team's (PCA of Morgan fingerprints),
 * and, per day, how far their queries sit from their own earlier ones (focus)
 * and from each other (diversity). Extraction looks like a cloud spreading
 * over the team's space with falling focus and rising diversity; a research
 * series stays a tight cluster.
 *
 * Everything is sampled with a seeded PRNG so the same store gives the same
 * picture, and bounded (reservoirs), so a principal with millions of queries
 * costs the same as one with a thousand.
 */
import type { Chem } from '../chem/index.js';
import { tanimoto } from '../chem/index.js';
import type { Store } from '../store/index.js';
import { sha256Hex } from '../util/hash.js';
import { mulberry32 } from '../util/prng.js';

export interface ChemistryOptions {
  /** Molecules of the principal, and of the team, on the map. */
  mapSample?: number;
  /** Molecules per day for focus and diversity. */
  daySample?: number;
  /** Earlier molecules kept as the principal's history. */
  historySample?: number;
}

export interface ChemistryView {
  principal: string;
  team: string | null;
  method: string;
  points: Array<{ x: number; y: number; group: 'principal' | 'team'; smiles: string }>;
  /** Variance explained by the two axes. */
  explained: [number, number];
  days: Array<{ day: string; molecules: number; focus: number | null; diversity: number | null }>;
}

/** Reservoir sampling (Vitter's algorithm R): a uniform sample of a stream in bounded memory. */
class Reservoir<T> {
  readonly items: T[] = [];
  private seen = 0;
  constructor(
    private readonly size: number,
    private readonly rand: () => number,
  ) {}
  add(x: T): void {
    this.seen++;
    if (this.items.length < this.size) this.items.push(x);
    else {
      const j = Math.floor(this.rand() * this.seen);
      if (j < this.size) this.items[j] = x;
    }
  }
}

function seedOf(s: string): number {
  return parseInt(sha256Hex(s).slice(0, 8), 16);
}

async function moleculesOf(store: Store, principal: string, onMolecule: (smiles: string, dayMs: number) => void): Promise<void> {
  for await (const e of store.replay({ principal, kinds: ['inference'] })) {
    if (e.kind !== 'inference') continue;
    const day = Math.floor(Date.parse(e.time) / 86_400_000) * 86_400_000;
    for (const i of e.instances) if (i.input.type === 'smiles' && i.input.canonical) onMolecule(i.input.canonical, day);
  }
}

function bits(fp: Uint8Array): Float64Array {
  const out = new Float64Array(fp.length * 8);
  for (let i = 0; i < fp.length; i++) for (let b = 0; b < 8; b++) out[i * 8 + b] = (fp[i]! >> b) & 1;
  return out;
}

/** Top two principal components by power iteration with deflation (n x d data, n small). */
export function pca2(rows: Float64Array[], rand: () => number): { coords: Array<[number, number]>; explained: [number, number] } {
  const n = rows.length;
  if (n === 0) return { coords: [], explained: [0, 0] };
  const d = rows[0]!.length;
  const mean = new Float64Array(d);
  for (const r of rows) for (let j = 0; j < d; j++) mean[j]! += r[j]! / n;
  const X = rows.map((r) => r.map((v, j) => v - mean[j]!));
  const total = X.reduce((s, r) => s + r.reduce((a, v) => a + v * v, 0), 0) || 1;
  const comps: Float64Array[] = [];
  const variances: number[] = [];
  for (let c = 0; c < 2; c++) {
    let v: Float64Array = Float64Array.from({ length: d }, () => rand() - 0.5);
    let lambda = 0;
    for (let it = 0; it < 60; it++) {
      const xv = X.map((r) => r.reduce((a, x, j) => a + x * v[j]!, 0));
      const w = new Float64Array(d);
      X.forEach((r, i) => {
        const s = xv[i]!;
        for (let j = 0; j < d; j++) w[j]! += r[j]! * s;
      });
      for (const p of comps) {
        const dot = w.reduce((a, x, j) => a + x * p[j]!, 0);
        for (let j = 0; j < d; j++) w[j]! -= dot * p[j]!;
      }
      const norm = Math.sqrt(w.reduce((a, x) => a + x * x, 0));
      if (norm === 0) break;
      lambda = norm;
      v = w.map((x) => x / norm);
    }
    comps.push(v);
    variances.push(lambda);
  }
  const coords = X.map((r) => comps.map((p) => r.reduce((a, x, j) => a + x * p[j]!, 0)) as [number, number]);
  return { coords, explained: [variances[0]! / total, variances[1]! / total] };
}

export async function chemistryView(store: Store, chem: Chem, principal: string, options: ChemistryOptions = {}): Promise<ChemistryView> {
  const mapSample = options.mapSample ?? 300;
  const daySample = options.daySample ?? 40;
  const historySample = options.historySample ?? 300;
  const rand = mulberry32(seedOf(principal));
  const mine = new Reservoir<string>(mapSample, rand);
  const perDay = new Map<number, { n: number; sample: Reservoir<string> }>();
  const seen = new Set<string>();
  await moleculesOf(store, principal, (s, day) => {
    let d = perDay.get(day);
    if (!d) perDay.set(day, (d = { n: 0, sample: new Reservoir<string>(daySample, rand) }));
    d.n++;
    d.sample.add(s);
    // Distinct molecules only on the map; the set is bounded by sampling it once full.
    if (!seen.has(s) && seen.size < 200_000) {
      seen.add(s);
      mine.add(s);
    }
  });
  const dir = await store.directory();
  const team = dir.find((d) => d.principal === principal)?.team ?? null;
  const theirs = new Reservoir<string>(mapSample, rand);
  if (team) for (const m of dir.filter((d) => d.team === team && d.principal !== principal)) await moleculesOf(store, m.principal, (s) => theirs.add(s));

  const fp = (s: string): Uint8Array | null => chem.fingerprint(s);
  const labelled: Array<{ smiles: string; group: 'principal' | 'team'; fp: Uint8Array }> = [];
  for (const s of mine.items) {
    const f = fp(s);
    if (f) labelled.push({ smiles: s, group: 'principal', fp: f });
  }
  for (const s of theirs.items) {
    const f = fp(s);
    if (f) labelled.push({ smiles: s, group: 'team', fp: f });
  }
  const { coords, explained } = pca2(labelled.map((l) => bits(l.fp)), rand);

  const history = new Reservoir<Uint8Array>(historySample, rand);
  const days: ChemistryView['days'] = [];
  for (const day of [...perDay.keys()].sort((a, b) => a - b)) {
    const d = perDay.get(day)!;
    const fps = d.sample.items.map(fp).filter((f): f is Uint8Array => f != null);
    let focus: number | null = null;
    if (history.items.length >= 20 && fps.length) {
      // Nearest-neighbour similarity to the principal's own earlier queries.
      focus = fps.reduce((a, f) => a + Math.max(...history.items.map((h) => tanimoto(f, h))), 0) / fps.length;
    }
    let diversity: number | null = null;
    if (fps.length >= 5) {
      let sum = 0;
      let pairs = 0;
      for (let i = 0; i < fps.length; i++)
        for (let j = i + 1; j < fps.length; j++) {
          sum += 1 - tanimoto(fps[i]!, fps[j]!);
          pairs++;
        }
      diversity = sum / pairs;
    }
    days.push({ day: new Date(day).toISOString().slice(0, 10), molecules: d.n, focus, diversity });
    for (const f of fps) history.add(f);
  }
  const r3 = (x: number): number => Math.round(x * 1000) / 1000;
  return {
    principal,
    team,
    method: 'PCA of Morgan fingerprints (radius 2, 2048 bits) over a seeded sample of distinct molecules; focus: mean nearest-neighbour Tanimoto to the principal\'s earlier queries; diversity: mean pairwise Tanimoto distance within the day',
    points: labelled.map((l, i) => ({ x: r3(coords[i]![0]), y: r3(coords[i]![1]), group: l.group, smiles: l.smiles })),
    explained: [r3(explained[0]), r3(explained[1])],
    days: days.map((d) => ({ ...d, focus: d.focus == null ? null : r3(d.focus), diversity: d.diversity == null ? null : r3(d.diversity) })),
  };
}
