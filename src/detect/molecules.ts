/**
 * Bounded views of a principal's query inputs for the chemistry-aware
 * detectors (coverage, focus-drift, prada): packed fingerprints with a fast
 * Tanimoto distance, a bottom-k sample of a day's distinct inputs (a uniform
 * sample chosen by hash, so it does not depend on arrival order and only
 * sampled molecules are ever fingerprinted), a KMV estimate of the distinct
 * count, and a generic fallback fingerprint for non-molecular inputs.
 */
import type { InferenceEvent, Instance } from '../events/index.js';
import { z } from 'zod';
import type { Alert, AlertInput } from './alert.js';
import { MAX_EVIDENCE, makeAlert } from './alert.js';
import { DAY_MS, closeDueDays, dayStart } from './stats.js';
import type { DetectorInstance } from './types.js';
import { fnv1a } from '../sim/rng.js';
import type { DetectionContext } from './types.js';

/**
 * A fingerprint as 32-bit words with its bit count and the positions of its
 * set bits: Morgan fingerprints are sparse (~40 of 2048 bits), so Tanimoto
 * tests the sparser one's positions in the other's words (~40 reads) instead
 * of AND-popcounting all 64 words.
 */
export interface Fp {
  words: Uint32Array;
  bits: number;
  on: Uint16Array;
}

/** The Fp of these words (bit count and set-bit positions computed once). */
export function fpOfWords(words: Uint32Array): Fp {
  let bits = 0;
  for (const w of words) bits += popcount32(w);
  const on = new Uint16Array(bits);
  let k = 0;
  for (let w = 0; w < words.length; w++) {
    let v = words[w]!;
    while (v !== 0) {
      const low = v & -v;
      on[k++] = (w << 5) + 31 - Math.clz32(low);
      v ^= low;
    }
  }
  return { words, bits, on };
}

export function popcount32(x: number): number {
  x -= (x >>> 1) & 0x55555555;
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return (Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24) & 0xff;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;
// The context hands out one Uint8Array per molecule (the fingerprint cache), so
// each is converted once, not each time a detector samples the molecule.
const converted = new WeakMap<Uint8Array, Fp>();

/** The packed fingerprint as words (little-endian: byte i is bits 8(i mod 4).. of word i/4); read-only, may share the bytes' memory. */
export function toFp(bytes: Uint8Array): Fp {
  const known = converted.get(bytes);
  if (known) return known;
  let words: Uint32Array;
  if (LITTLE_ENDIAN && bytes.byteOffset % 4 === 0 && bytes.length % 4 === 0) words = new Uint32Array(bytes.buffer, bytes.byteOffset, bytes.length >> 2);
  else {
    words = new Uint32Array(Math.ceil(bytes.length / 4));
    for (let i = 0; i < bytes.length; i++) words[i >> 2]! |= bytes[i]! << ((i & 3) * 8);
  }
  const fp = fpOfWords(words);
  converted.set(bytes, fp);
  return fp;
}

/**
 * A fingerprint in a snapshot: its set bits as 3 hex digits each (Morgan
 * fingerprints are sparse, ~40 of 2048 bits), or `b:` + base64 of the words
 * when that is shorter.
 */
export function encodeFp(x: Fp): string {
  let sparse = '';
  for (let w = 0; w < x.words.length; w++) {
    let v = x.words[w]!;
    while (v !== 0) {
      const low = v & -v;
      sparse += ((w << 5) + 31 - Math.clz32(low)).toString(16).padStart(3, '0');
      v ^= low;
    }
  }
  const dense = 'b:' + Buffer.from(x.words.buffer, x.words.byteOffset, x.words.byteLength).toString('base64');
  return x.words.length <= 128 && sparse.length <= dense.length ? `s${x.words.length}:${sparse}` : dense;
}

export function decodeFp(s: string): Fp {
  let words: Uint32Array;
  if (s.startsWith('b:')) {
    const b = Buffer.from(s.slice(2), 'base64');
    words = new Uint32Array(b.length >> 2);
    for (let i = 0; i < words.length; i++) words[i] = b.readUInt32LE(i * 4);
  } else {
    const colon = s.indexOf(':');
    words = new Uint32Array(Number(s.slice(1, colon)));
    for (let i = colon + 1; i + 3 <= s.length; i += 3) {
      const bit = parseInt(s.slice(i, i + 3), 16);
      words[bit >> 5]! |= 1 << (bit & 31);
    }
  }
  return fpOfWords(words);
}

/** |a AND b|: the sparser fingerprint's set bits looked up in the other's words (a bit beyond the shorter one counts as unset). */
function common(a: Fp, b: Fp): number {
  const x = a.bits <= b.bits ? a : b;
  const words = x === a ? b.words : a.words;
  const on = x.on;
  let both = 0;
  for (let i = 0; i < on.length; i++) {
    const bit = on[i]!;
    both += ((words[bit >>> 5] ?? 0) >>> (bit & 31)) & 1;
  }
  return both;
}

/** Tanimoto distance 1 - |a AND b| / |a OR b| (same value as chem's tanimoto on the packed bytes). */
export function distance(a: Fp, b: Fp): number {
  const both = common(a, b);
  const either = a.bits + b.bits - both;
  return either === 0 ? 0 : 1 - both / either;
}

/** Tanimoto similarity |a AND b| / |a OR b|, bit for bit chem's `tanimoto` on the packed bytes (1 for two empty fingerprints). */
export function similarity(a: Fp, b: Fp): number {
  const both = common(a, b);
  const either = a.bits + b.bits - both;
  return either === 0 ? 1 : both / either;
}

/** 32-bit hash with a murmur3 finaliser over FNV-1a, so that near-identical strings get unrelated hashes (bottom-k needs that). */
export function hash32(text: string): number {
  let h = fnv1a(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** Fingerprint width of the generic fallback, bits (the same as the Morgan fingerprints, so one Tanimoto serves both). */
const FALLBACK_BITS = 2048;

/**
 * Generic fallback for numeric feature vectors: each (position, scale-free
 * bin) pair sets one hashed bit, so Tanimoto over these bit sets is the share
 * of features that fall in the same bin, a cheap similarity for inputs no
 * chemistry applies to. Bins are quarter steps of log2(1 + |x|) with the sign.
 */
export function featureFingerprint(features: readonly number[]): Uint8Array {
  const out = new Uint8Array(FALLBACK_BITS / 8);
  for (let i = 0; i < features.length; i++) {
    const x = features[i]!;
    if (!Number.isFinite(x)) continue;
    const bin = Math.sign(x) * Math.floor(4 * Math.log2(1 + Math.abs(x)));
    const bit = hash32(`${i}:${bin}`) % FALLBACK_BITS;
    out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

/** What a detector samples of one instance: a stable key and a way to fingerprint it when sampled. */
export interface InputRef {
  key: string;
  kind: 'molecule' | 'features' | 'opaque';
  fingerprint(): Uint8Array | null;
}

/**
 * The instance as a sample candidate: molecules by canonical SMILES (RDKit
 * fingerprints from the context), numeric feature vectors by hash (fallback
 * fingerprint), anything else (text, unparsed SMILES) by hash with no
 * fingerprint. Null when molecules cannot be fingerprinted (no RDKit).
 */
export function inputRef(inst: Instance, ctx: DetectionContext): InputRef | null {
  const input = inst.input;
  if (input.type === 'smiles') {
    const fp = ctx.fingerprint;
    const canonical = input.canonical;
    if (!fp || !canonical) return null;
    return { key: canonical, kind: 'molecule', fingerprint: () => fp(canonical) };
  }
  if (input.type === 'features' && input.features && input.features.length > 0) {
    const f = input.features;
    return { key: input.hash, kind: 'features', fingerprint: () => featureFingerprint(f) };
  }
  return { key: input.hash, kind: 'opaque', fingerprint: () => null };
}

// Organic-subset atom symbols (B C N O S P F I and aromatic b c n o s p), by character code.
const ORGANIC = new Uint8Array(128);
for (const ch of 'BCNOSPFIbcnosp') ORGANIC[ch.charCodeAt(0)] = 1;

/**
 * Heavy atoms of a SMILES string: bracket atoms (not [H], [2H], [H+]),
 * two-letter halogens, organic-subset atoms. A character scan (a regular
 * expression was a fifth of side-channel's time), run once per distinct
 * molecule (`Molecule.heavy`).
 */
export function heavyAtoms(smiles: string): number {
  let n = 0;
  const len = smiles.length;
  for (let i = 0; i < len; i++) {
    const c = smiles.charCodeAt(i);
    if (c === 91 /* [ */) {
      const end = smiles.indexOf(']', i + 1);
      // An unclosed bracket is no atom; what follows still is.
      if (end < 0) continue;
      if (end > i + 1 && !isHydrogen(smiles, i + 1, end)) n++;
      i = end;
    } else if (c < 128 && ORGANIC[c]) {
      n++;
      // Cl and Br are one atom.
      const next = smiles.charCodeAt(i + 1);
      if ((c === 67 /* C */ && next === 108) /* l */ || (c === 66 /* B */ && next === 114) /* r */) i++;
    }
  }
  return n;
}

/** Whether a bracket atom's text (from..end) is hydrogen: isotope digits, H, then no lower-case letter (so not Hg, He). */
function isHydrogen(s: string, from: number, end: number): boolean {
  let i = from;
  while (i < end && s.charCodeAt(i) >= 48 && s.charCodeAt(i) <= 57) i++;
  if (i >= end || s.charCodeAt(i) !== 72 /* H */) return false;
  for (i++; i < end; i++) {
    const c = s.charCodeAt(i);
    if (c >= 97 && c <= 122) return false;
  }
  return true;
}

/**
 * One distinct molecule (canonical SMILES) with what the chemistry detectors
 * read of it, computed once however often and by however many detectors it
 * is queried: its bottom-k rank, heavy atoms, library membership and, on
 * first use, its fingerprint. `id` is dense from 0, so a detector can keep
 * its own per-molecule values in a typed array.
 */
export interface Molecule {
  readonly id: number;
  readonly key: string;
  /** hash32(key): the bottom-k rank. */
  readonly hash: number;
  readonly heavy: number;
  /** In one of the context's compound sets. */
  readonly library: boolean;
}

/** The context's molecules, interned by canonical SMILES. */
export interface MoleculeTable {
  /** The molecule of a canonical SMILES (interned on first sight). */
  get(canonical: string): Molecule;
  /** Its fingerprint as words, from `ctx.fingerprint` on first use; null without one (no RDKit, or a molecule RDKit cannot read). */
  fp(m: Molecule): Fp | null;
  /** Whether the context fingerprints molecules at all. */
  readonly fingerprints: boolean;
  /**
   * The molecule of each instance of the event (null for an input that is
   * not a parsed SMILES), aligned with `e.instances`. Every chemistry
   * detector sees the same event in turn, so the last event's answer is kept
   * and the lookups happen once per event.
   */
  of(e: InferenceEvent): ReadonlyArray<Molecule | null>;
}

interface MoleculeRecord extends Molecule {
  /** 0: fingerprint not looked up yet; 1: `fp` holds it. */
  fpState: 0 | 1;
  fp: Fp | null;
}

const tables = new WeakMap<DetectionContext, MoleculeTable>();

/**
 * The molecule table of a context, one per context (so shared by every
 * detector of an engine). It grows with the distinct molecules queried, as the
 * fingerprint cache it fronts does, and never forgets one: detectors keep
 * molecules in their state by identity.
 */
export function moleculeTable(ctx: DetectionContext): MoleculeTable {
  let t = tables.get(ctx);
  if (t) return t;
  const byKey = new Map<string, MoleculeRecord>();
  const library = new Set<string>();
  for (const set of ctx.compounds.values()) for (const c of set) library.add(c);
  const fingerprint = ctx.fingerprint;
  let lastEvent: InferenceEvent | null = null;
  let lastMolecules: Array<Molecule | null> = [];
  const get = (key: string): MoleculeRecord => {
    let m = byKey.get(key);
    if (!m) byKey.set(key, (m = { id: byKey.size, key, hash: hash32(key), heavy: heavyAtoms(key), library: library.has(key), fpState: 0, fp: null }));
    return m;
  };
  t = {
    get,
    fp(m) {
      const r = m as MoleculeRecord;
      if (r.fpState === 0) {
        const bytes = fingerprint ? fingerprint(r.key) : null;
        r.fp = bytes ? toFp(bytes) : null;
        r.fpState = 1;
      }
      return r.fp;
    },
    fingerprints: fingerprint !== undefined,
    of(e) {
      if (e === lastEvent) return lastMolecules;
      const xs = e.instances;
      const out = new Array<Molecule | null>(xs.length);
      for (let i = 0; i < xs.length; i++) {
        const input = xs[i]!.input;
        out[i] = input.type === 'smiles' && input.canonical ? get(input.canonical) : null;
      }
      lastEvent = e;
      lastMolecules = out;
      return out;
    },
  };
  tables.set(ctx, t);
  return t;
}

/** A sampled input: the hash ranks it, the fingerprint is all that is read later (the key, attacker-sized text, is not kept). */
interface Sampled {
  hash: number;
  fp: Fp | null;
}

/** A bottom-k sample in a snapshot: [hash, encoded fingerprint or null] in hash order. */
export type BottomKSnapshot = Array<[number, string | null]>;

/**
 * Bottom-k sample of distinct inputs by hash (Broder 1997; KMV distinct-count
 * estimate after Bar-Yossef et al. 2002): the k smallest hashes are a uniform
 * sample of the distinct inputs, identical whatever the order they came in,
 * and an input is fingerprinted only when it enters the sample.
 */
export class BottomK {
  private readonly items: Sampled[] = [];
  /** Bumped whenever the sample changes, so a judgement of it can be reused while it does not. */
  version = 0;
  /** Hashes from here up cannot enter: the k-th smallest once the sample is full (above any 32-bit hash before). */
  cut = 2 ** 32;
  constructor(readonly k: number) {}

  /** Whether an input of hash `h` would enter the sample (the comparison first: a full sample rejects nearly everything). */
  private wants(h: number): boolean {
    if (h >= this.cut) return false;
    // Already sampled? The items are in hash order: a binary search (hashes above 2^30 are not small integers, so a Set of them hashes heap numbers).
    const items = this.items;
    let lo = 0;
    let hi = items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (items[mid]!.hash < h) lo = mid + 1;
      else hi = mid;
    }
    return lo === items.length || items[lo]!.hash !== h;
  }

  private insert(item: Sampled): void {
    let i = this.items.length;
    while (i > 0 && this.items[i - 1]!.hash > item.hash) i--;
    this.items.splice(i, 0, item);
    if (this.items.length > this.k) this.items.pop();
    if (this.items.length >= this.k) this.cut = this.items[this.items.length - 1]!.hash;
    this.version++;
  }

  /** Offers an input; returns true when it entered the sample. */
  offer(ref: InputRef, h = hash32(ref.key)): boolean {
    if (!this.wants(h)) return false;
    const bytes = ref.fingerprint();
    this.insert({ hash: h, fp: bytes ? toFp(bytes) : null });
    return true;
  }

  /** Offers a molecule of the context's table (its hash and fingerprint computed once per molecule). */
  offerMolecule(m: Molecule, table: MoleculeTable): boolean {
    if (!this.wants(m.hash)) return false;
    this.insert({ hash: m.hash, fp: table.fp(m) });
    return true;
  }

  /** Merges another sample (e.g. a closed day into the history). */
  merge(other: BottomK): void {
    for (const it of other.items) if (this.wants(it.hash)) this.insert(it);
  }

  get size(): number {
    return this.items.length;
  }

  snapshot(): BottomKSnapshot {
    return this.items.map((it) => [it.hash, it.fp ? encodeFp(it.fp) : null]);
  }

  static of(k: number, items: BottomKSnapshot): BottomK {
    const b = new BottomK(k);
    for (const [hash, fp] of items) {
      b.items.push({ hash, fp: fp === null ? null : decodeFp(fp) });
    }
    if (b.items.length >= k) b.cut = b.items[b.items.length - 1]!.hash;
    return b;
  }

  /** Sampled inputs with a fingerprint (the length of `fingerprints()`). */
  fingerprinted(): number {
    let n = 0;
    for (const it of this.items) if (it.fp) n++;
    return n;
  }

  fingerprints(): Fp[] {
    const out: Fp[] = [];
    for (const it of this.items) if (it.fp) out.push(it.fp);
    return out;
  }

  /** Distinct inputs offered: exact below k, else the KMV estimate (k - 1) / (k-th smallest hash as a fraction). */
  distinct(): number {
    const n = this.items.length;
    if (n < this.k) return n;
    const kth = (this.items[n - 1]!.hash + 1) / 4294967296;
    return Math.round((this.k - 1) / kth);
  }
}

/** Mean pairwise Tanimoto distance of a sample (k(k-1)/2 pairs; the sample is bounded). */
export function meanPairwiseDistance(fps: readonly Fp[]): number {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < fps.length; i++) {
    for (let j = i + 1; j < fps.length; j++) {
      sum += distance(fps[i]!, fps[j]!);
      n++;
    }
  }
  return n === 0 ? 0 : sum / n;
}

/**
 * Leader (sphere-exclusion) clusters at Tanimoto distance `radius`, in sample
 * order: a cheap stand-in for a Bemis-Murcko scaffold count (Butina 1999 uses
 * the same kind of cut, 0.6-0.7 distance, to group a chemical series).
 */
export function leaderClusters(fps: readonly Fp[], radius: number): number {
  // The leaders' set bits as linked lists per bit (head, next, owner): each input counts its common bits with
  // every leader in one pass over its own bits, where a scan would compare it with each leader in turn (a
  // diverse day makes most of its sample leaders). The distances compared are the numbers `distance` gives.
  let width = 0;
  let total = 0;
  for (const x of fps) {
    width = Math.max(width, x.words.length << 5);
    total += x.on.length;
  }
  const head = new Int32Array(width).fill(-1);
  const next = new Int32Array(total);
  const owner = new Int32Array(total);
  const both = new Int32Array(fps.length);
  const leaders: Fp[] = [];
  let entries = 0;
  for (const x of fps) {
    both.fill(0, 0, leaders.length);
    const on = x.on;
    for (let i = 0; i < on.length; i++) for (let e = head[on[i]!]!; e >= 0; e = next[e]!) both[owner[e]!]!++;
    let near = false;
    for (let j = 0; j < leaders.length; j++) {
      const common = both[j]!;
      const either = leaders[j]!.bits + x.bits - common;
      if ((either === 0 ? 0 : 1 - common / either) < radius) {
        near = true;
        break;
      }
    }
    if (near) continue;
    const j = leaders.length;
    leaders.push(x);
    for (let i = 0; i < on.length; i++) {
      owner[entries] = j;
      next[entries] = head[on[i]!]!;
      head[on[i]!] = entries++;
    }
  }
  return leaders.length;
}

/** The last reference found near a fingerprint: tried first next time (a hint only; the answer is checked). */
const lastNear = new WeakMap<Fp, Fp>();

/**
 * Share of `xs` whose nearest neighbour in `ref` is farther than `radius`
 * (Tanimoto distance). Only whether some reference is near matters, so the
 * likeliest witnesses are tried first: the input itself (a day's bottom-k
 * sample and the focus sample rank molecules by the same hash, so a
 * re-queried molecule is often in both) and the reference found near it last
 * time (a principal's focus moves slowly). The rest, among them every
 * off-focus input (which no witness stops), go through an inverted index of
 * `ref` (`nearAny`) when there are enough of them to pay for it. The
 * distances compared are the numbers `distance` gives.
 */
export function offFocusShare(xs: readonly Fp[], ref: readonly Fp[], radius: number): number {
  if (xs.length === 0) return 0;
  const refs = new Set(ref);
  const rest: Fp[] = [];
  for (const x of xs) {
    // A fingerprint is at distance 0 from itself.
    if (radius >= 0 && refs.has(x)) continue;
    const hint = lastNear.get(x);
    if (hint && refs.has(hint) && distance(x, hint) <= radius) continue;
    rest.push(x);
  }
  let off = 0;
  // Building the index costs about one full scan of `ref`.
  if (rest.length >= 4) {
    const near = nearAny(ref, radius);
    for (const x of rest) {
      const j = near(x);
      if (j < 0) off++;
      else lastNear.set(x, ref[j]!);
    }
  } else {
    for (const x of rest) {
      const r = ref.find((y) => distance(x, y) <= radius);
      if (r) lastNear.set(x, r);
      else off++;
    }
  }
  return off / xs.length;
}

/**
 * An inverted index of `ref` (set bit -> references holding it): `near(x)`
 * counts x's common bits with every reference in one pass over x's set bits
 * and returns the first reference within `radius` (Tanimoto distance, the
 * number `distance` gives), or -1.
 */
function nearAny(ref: readonly Fp[], radius: number): (x: Fp) => number {
  let width = 0;
  for (const r of ref) width = Math.max(width, r.words.length << 5);
  const starts = new Int32Array(width + 1);
  for (const r of ref) for (let i = 0; i < r.on.length; i++) starts[r.on[i]! + 1]!++;
  for (let b = 0; b < width; b++) starts[b + 1]! += starts[b]!;
  const holders = new Int32Array(starts[width]!);
  const fill = starts.slice(0, width);
  for (let j = 0; j < ref.length; j++) {
    const on = ref[j]!.on;
    for (let i = 0; i < on.length; i++) holders[fill[on[i]!]!++] = j;
  }
  const both = new Int32Array(ref.length);
  return (x) => {
    both.fill(0);
    const on = x.on;
    for (let i = 0; i < on.length; i++) {
      const bit = on[i]!;
      if (bit >= width) break;
      for (let k = starts[bit]!, end = starts[bit + 1]!; k < end; k++) both[holders[k]!]!++;
    }
    for (let j = 0; j < ref.length; j++) {
      const common = both[j]!;
      const either = x.bits + ref[j]!.bits - common;
      if ((either === 0 ? 0 : 1 - common / either) <= radius) return j;
    }
    return -1;
  };
}

/** Options shared by detectors that honour announced campaigns (docs/detect.md). */
export const announcedCampaignOptions = {
  /** Project-name patterns (case-insensitive regular expressions) that announce a broad querying campaign. */
  announcedProjectPatterns: z.array(z.string()).default(['^virtual-screening-', '^approved-load-test-']),
  /** Days without an exceedance after which an announced campaign alerts again (one alert per campaign). */
  announcedRealertDays: z.number().int().positive().default(7),
  /**
   * `low`: one low alert per announced campaign, naming the project; `none`:
   * no alert. `none` by default because query-volume already alerts on these
   * campaigns (medium, day after day) and any second detector's alert lifts
   * the correlator's single-detector cap: with `low`, the announced virtual
   * screen opened an incident on two of three simulated seeds (docs/detect.md).
   */
  announcedAlerts: z.enum(['low', 'none']).default('none'),
};

/**
 * Announced campaigns: a principal whose directory projects announce a broad
 * querying campaign (a virtual screen, an approved load test) is expected to
 * query diversely or heavily, so an exceedance gives at most one low alert per
 * campaign that names the project (`announcedAlerts`). `check` returns null when the principal
 * announces nothing, `skip` while a campaign already alerted (each exceedance
 * extends it; a quiet spell of `announcedRealertDays` re-arms it), else the
 * clause the explanation ends with.
 */
export function announcedCampaigns(ctx: DetectionContext, o: { announcedProjectPatterns: readonly string[]; announcedRealertDays: number; announcedAlerts: 'low' | 'none' }) {
  const patterns = o.announcedProjectPatterns.map((p) => new RegExp(p, 'i'));
  const lastExceed = new Map<string, number>();
  return {
    check(principal: string, dayStartMs: number): null | 'skip' | string {
      const announced = ctx.projectsOf(principal).filter((p) => patterns.some((re) => re.test(p)));
      if (announced.length === 0) return null;
      const last = lastExceed.get(principal) ?? -Infinity;
      lastExceed.set(principal, dayStartMs);
      if (o.announcedAlerts === 'none' || dayStartMs - last < o.announcedRealertDays * DAY_MS) return 'skip';
      return `, kept low because the directory announces project ${announced.join(', ')}`;
    },
    /** Whether the principal's directory projects announce a broad campaign (no state change). */
    isAnnounced(principal: string): boolean {
      return ctx.projectsOf(principal).some((p) => patterns.some((re) => re.test(p)));
    },
    /** Each principal's last exceedance (day start), for the detector's snapshot. */
    snapshot(): Array<[string, number]> {
      return [...lastExceed];
    },
    restore(entries: ReadonlyArray<[string, number]>): void {
      for (const [p, ms] of entries) lastExceed.set(p, ms);
    },
  };
}

/** No alerts: one shared frozen array for the common answer of a detector's hot path (the engine only reads what it gets). */
export const NO_ALERTS = Object.freeze([]) as unknown as Alert[];

/** Models remembered per open day (for an alert's `models`). */
export const MAX_DAY_MODELS = 16;

/** One principal's open day: the bottom-k sample of its distinct inputs, evidence and models. */
export interface SampledDay {
  startMs: number;
  sample: BottomK;
  evidence: string[];
  models: Set<string>;
}

/**
 * Adds an inference event's fingerprintable inputs to the holder's open day
 * (opened at `startMs` on its first such input); returns true when a day was
 * opened. Evidence: the requests that added to the sample, first ones first.
 */
export function addToDay(holder: { day: SampledDay | undefined }, e: InferenceEvent, startMs: number, sampleSize: number, ctx: DetectionContext, table = moleculeTable(ctx)): boolean {
  let opened = false;
  let used = false;
  const mols = table.of(e);
  const instances = e.instances;
  for (let i = 0; i < instances.length; i++) {
    // Molecules through the table (one lookup per event for all detectors); other inputs as inputRef says.
    const m = mols[i];
    let ref: InputRef | null = null;
    if (m) {
      if (!table.fingerprints) continue;
      // A full sample turns nearly every molecule away on its hash alone.
      if (holder.day && m.hash >= holder.day.sample.cut) continue;
    } else if (instances[i]!.input.type === 'smiles' || (ref = inputRef(instances[i]!, ctx)) === null || ref.kind === 'opaque') continue;
    if (!holder.day) {
      holder.day = { startMs, sample: new BottomK(sampleSize), evidence: [], models: new Set() };
      opened = true;
    }
    if (m ? holder.day.sample.offerMolecule(m, table) : holder.day.sample.offer(ref!)) used = true;
  }
  const day = holder.day;
  if (day && day.startMs === startMs) {
    if (used && day.evidence.length < MAX_EVIDENCE) day.evidence.push(e.id);
    if (day.models.size < MAX_DAY_MODELS) day.models.add(e.model);
  }
  return opened;
}

/** An open day in a snapshot. */
export interface SampledDaySnapshot {
  startMs: number;
  sample: BottomKSnapshot;
  evidence: string[];
  models: string[];
}

export function saveDay(day: SampledDay | undefined): SampledDaySnapshot | null {
  return day ? { startMs: day.startMs, sample: day.sample.snapshot(), evidence: [...day.evidence], models: [...day.models] } : null;
}

export function loadDay(day: SampledDaySnapshot | null, sampleSize: number): SampledDay | undefined {
  return day ? { startMs: day.startMs, sample: BottomK.of(sampleSize, day.sample), evidence: [...day.evidence], models: new Set(day.models) } : undefined;
}

/** Entries an open day holds, for stateSize(). */
export function dayEntries(day: SampledDay | undefined): number {
  return day ? 1 + day.sample.size + day.evidence.length + day.models.size : 0;
}

/** The snapshot of a daily sampled detector: principals' open days and own state, the next close, shared state. */
export interface DailySampledSnapshot<P, T> {
  states: Array<[string, { day: SampledDaySnapshot | null; own: P }]>;
  /** Null for no open day (Infinity is not JSON). */
  nextClose: number | null;
  shared: T;
}

/**
 * The event side of a detector that samples one day per principal and judges
 * it when the day closes on event time: opens, fills and closes the days,
 * reports state size and snapshots it. `close` judges a closed day; `entries`
 * counts the principal's state besides the open day; `save` and `load` convert
 * that state (without the day) to and from JSON, `saveShared` and
 * `loadShared` the detector's state beyond principals (team baselines,
 * campaigns).
 */
export function dailySampledDetector<S extends { day: SampledDay | undefined }, P, T>(options: {
  ctx: DetectionContext;
  sampleSize: number;
  init: () => S;
  close: (principal: string, state: S, day: SampledDay) => Alert[];
  /** Optional look at the open day after each event (early alerts within the day), at event time `ms`. */
  peek?: (principal: string, state: S, day: SampledDay, ms: number) => Alert[];
  entries: (state: S) => number;
  save: (state: S) => P;
  load: (saved: P) => Omit<S, 'day'>;
  saveShared: () => T;
  loadShared: (saved: T) => void;
}): DetectorInstance & { snapshot(): DailySampledSnapshot<P, T>; restore(state: unknown): void } {
  const states = new Map<string, S>();
  const table = moleculeTable(options.ctx);
  let nextClose = Infinity;
  const close = (p: string, s: S, day: SampledDay): Alert[] => {
    s.day = undefined;
    return options.close(p, s, day);
  };
  return {
    onEvent(e, ms) {
      if (e.kind !== 'inference') return [];
      const p = e.principal.canonical;
      let s = states.get(p);
      if (!s) states.set(p, (s = options.init()));
      const start = dayStart(ms);
      const closed = s.day && s.day.startMs !== start ? close(p, s, s.day) : NO_ALERTS;
      if (addToDay(s, e, start, options.sampleSize, options.ctx, table)) nextClose = Math.min(nextClose, start + DAY_MS);
      const early = options.peek && s.day ? options.peek(p, s, s.day, ms) : NO_ALERTS;
      return early.length === 0 ? closed : closed.length === 0 ? early : [...closed, ...early];
    },
    onWatermark(ms) {
      if (ms < nextClose) return [];
      const r = closeDueDays(states, ms, close);
      nextClose = r.nextClose;
      return r.alerts;
    },
    stateSize() {
      let max = 0;
      for (const s of states.values()) max = Math.max(max, options.entries(s) + dayEntries(s.day));
      return { principals: states.size, maxEntriesPerPrincipal: max };
    },
    snapshot() {
      return {
        states: [...states].map(([p, s]) => [p, { day: saveDay(s.day), own: options.save(s) }]),
        nextClose: Number.isFinite(nextClose) ? nextClose : null,
        shared: options.saveShared(),
      };
    },
    restore(state) {
      const snap = state as DailySampledSnapshot<P, T>;
      for (const [p, s] of snap.states) states.set(p, { ...options.load(s.own), day: loadDay(s.day, options.sampleSize) } as S);
      nextClose = snap.nextClose ?? Infinity;
      options.loadShared(snap.shared);
    },
  };
}

/** The alert of a closed sampled day: window and time are the day, evidence and models the day's. */
export function dayAlert(a: Omit<AlertInput, 'models' | 'atMs' | 'windowStartMs' | 'windowEndMs' | 'evidence'>, day: SampledDay): Alert {
  return makeAlert({ ...a, models: [...day.models], atMs: day.startMs + DAY_MS, windowStartMs: day.startMs, windowEndMs: day.startMs + DAY_MS, evidence: day.evidence });
}
