/**
 * A small molecular-graph toolkit over RDKit MinimalLib, used only when the
 * molecule pool is built (src/sim/build-pool.ts), never at simulation time.
 *
 * MinimalLib (the WASM build) has no Murcko-scaffold or reaction-enumeration
 * helpers that fit here, so this module reads RDKit's JSON (Kekulé bond orders,
 * aromatic atoms, ring membership), edits the graph, and hands the result
 * back to RDKit as a V2000 molblock without hydrogen counts, so that RDKit
 * re-derives implicit hydrogens and aromaticity from valence when it
 * canonicalises. Stereo is dropped by that round trip, which is what a
 * scaffold wants.
 */

export interface Atom {
  /** Atomic number. */
  z: number;
  chg: number;
  iso: number;
  /** Implicit hydrogens as RDKit reported them. */
  h: number;
  arom: boolean;
}

export interface Bond {
  a: number;
  b: number;
  /** Kekulé order: 1, 2 or 3. */
  order: number;
}

export interface MolGraph {
  atoms: Atom[];
  bonds: Bond[];
  /** Atom indices of each smallest ring RDKit found. */
  rings: number[][];
}

const SYMBOLS = [
  '*', 'H', 'He', 'Li', 'Be', 'B', 'C', 'N', 'O', 'F', 'Ne', 'Na', 'Mg', 'Al', 'Si', 'P', 'S', 'Cl', 'Ar', 'K', 'Ca',
  'Sc', 'Ti', 'V', 'Cr', 'Mn', 'Fe', 'Co', 'Ni', 'Cu', 'Zn', 'Ga', 'Ge', 'As', 'Se', 'Br', 'Kr', 'Rb', 'Sr', 'Y', 'Zr',
  'Nb', 'Mo', 'Tc', 'Ru', 'Rh', 'Pd', 'Ag', 'Cd', 'In', 'Sn', 'Sb', 'Te', 'I', 'Xe', 'Cs', 'Ba', 'La', 'Ce', 'Pr', 'Nd',
  'Pm', 'Sm', 'Eu', 'Gd', 'Tb', 'Dy', 'Ho', 'Er', 'Tm', 'Yb', 'Lu', 'Hf', 'Ta', 'W', 'Re', 'Os', 'Ir', 'Pt', 'Au', 'Hg',
  'Tl', 'Pb', 'Bi', 'Po', 'At', 'Rn', 'Fr', 'Ra', 'Ac', 'Th', 'Pa', 'U',
];

/** Elements of ordinary organic and medicinal chemistry. */
export const ORGANIC_Z: ReadonlySet<number> = new Set([1, 5, 6, 7, 8, 9, 14, 15, 16, 17, 34, 35, 53]);

export function elementSymbol(z: number): string {
  return SYMBOLS[z] ?? '*';
}

interface RdkitJson {
  defaults?: { atom?: Partial<{ z: number; impHs: number; chg: number; isotope: number }>; bond?: Partial<{ bo: number }> };
  molecules?: Array<{
    atoms?: Array<Partial<{ z: number; impHs: number; chg: number; isotope: number }>>;
    bonds?: Array<{ bo?: number; atoms: [number, number] }>;
    extensions?: Array<{ name?: string; aromaticAtoms?: number[]; atomRings?: number[][] }>;
  }>;
}

/** Reads `mol.get_json()`; returns null for shapes this toolkit does not handle (dative or zero-order bonds, several molecules). */
export function graphFromRdkitJson(json: string): MolGraph | null {
  const doc = JSON.parse(json) as RdkitJson;
  const m = doc.molecules?.[0];
  if (!m || (doc.molecules?.length ?? 0) !== 1) return null;
  const da = doc.defaults?.atom ?? {};
  const db = doc.defaults?.bond ?? {};
  const ext = m.extensions?.find((e) => e.name === 'rdkitRepresentation');
  const aromatic = new Set(ext?.aromaticAtoms ?? []);
  const atoms: Atom[] = (m.atoms ?? []).map((a, i) => ({
    z: a.z ?? da.z ?? 6,
    chg: a.chg ?? da.chg ?? 0,
    iso: a.isotope ?? da.isotope ?? 0,
    h: a.impHs ?? da.impHs ?? 0,
    arom: aromatic.has(i),
  }));
  const bonds: Bond[] = [];
  for (const b of m.bonds ?? []) {
    const order = b.bo ?? db.bo ?? 1;
    if (order < 1 || order > 3) return null;
    bonds.push({ a: b.atoms[0], b: b.atoms[1], order });
  }
  return { atoms, bonds, rings: ext?.atomRings ?? [] };
}

export function neighbours(g: MolGraph): Array<Array<{ atom: number; bond: number }>> {
  const out: Array<Array<{ atom: number; bond: number }>> = g.atoms.map(() => []);
  g.bonds.forEach((b, i) => {
    out[b.a]!.push({ atom: b.b, bond: i });
    out[b.b]!.push({ atom: b.a, bond: i });
  });
  return out;
}

export function ringAtoms(g: MolGraph): Set<number> {
  const s = new Set<number>();
  for (const r of g.rings) for (const a of r) s.add(a);
  return s;
}

/** Bonds that lie in a ring (both ends in one common ring, adjacent in it). */
export function ringBonds(g: MolGraph): Set<number> {
  const inRing = new Set<string>();
  for (const r of g.rings) {
    for (let i = 0; i < r.length; i++) {
      const x = r[i]!;
      const y = r[(i + 1) % r.length]!;
      inRing.add(x < y ? `${x}-${y}` : `${y}-${x}`);
    }
  }
  const s = new Set<number>();
  g.bonds.forEach((b, i) => {
    if (inRing.has(b.a < b.b ? `${b.a}-${b.b}` : `${b.b}-${b.a}`)) s.add(i);
  });
  return s;
}

/** The graph restricted to `keep` (atom indices), renumbered in the original order. */
export function subgraph(g: MolGraph, keep: ReadonlySet<number>): MolGraph {
  const map = new Map<number, number>();
  const atoms: Atom[] = [];
  g.atoms.forEach((a, i) => {
    if (keep.has(i)) {
      map.set(i, atoms.length);
      atoms.push({ ...a });
    }
  });
  const bonds: Bond[] = [];
  for (const b of g.bonds) {
    const a = map.get(b.a);
    const c = map.get(b.b);
    if (a !== undefined && c !== undefined) bonds.push({ a, b: c, order: b.order });
  }
  const rings = g.rings.filter((r) => r.every((x) => keep.has(x))).map((r) => r.map((x) => map.get(x)!));
  return { atoms, bonds, rings };
}

/** Connected components, largest (by heavy atoms) first. */
export function components(g: MolGraph): number[][] {
  const nb = neighbours(g);
  const seen = new Uint8Array(g.atoms.length);
  const comps: number[][] = [];
  for (let s = 0; s < g.atoms.length; s++) {
    if (seen[s]) continue;
    const comp: number[] = [];
    const stack = [s];
    seen[s] = 1;
    while (stack.length) {
      const x = stack.pop()!;
      comp.push(x);
      for (const n of nb[x]!) {
        if (!seen[n.atom]) {
          seen[n.atom] = 1;
          stack.push(n.atom);
        }
      }
    }
    comps.push(comp.sort((a, b) => a - b));
  }
  const heavy = (c: number[]): number => c.filter((i) => g.atoms[i]!.z !== 1).length;
  return comps.sort((a, b) => heavy(b) - heavy(a) || a[0]! - b[0]!);
}

/**
 * Bemis-Murcko framework atoms (Bemis & Murcko, J. Med. Chem. 1996, 39, 2887):
 * ring systems plus the linkers between them, side chains removed by
 * repeatedly deleting non-ring atoms of degree <= 1. As in RDKit's
 * MurckoScaffold, an atom double-bonded to the framework (a ring carbonyl
 * oxygen, say) stays. Returns null for an acyclic molecule.
 */
export function murckoAtoms(g: MolGraph): Set<number> | null {
  const rings = ringAtoms(g);
  if (rings.size === 0) return null;
  const nb = neighbours(g);
  const deg = nb.map((n) => n.length);
  const alive = new Uint8Array(g.atoms.length).fill(1);
  const queue: number[] = [];
  for (let i = 0; i < g.atoms.length; i++) if (!rings.has(i) && deg[i]! <= 1) queue.push(i);
  while (queue.length) {
    const x = queue.pop()!;
    if (!alive[x]) continue;
    alive[x] = 0;
    for (const n of nb[x]!) {
      if (!alive[n.atom]) continue;
      deg[n.atom] = deg[n.atom]! - 1;
      if (!rings.has(n.atom) && deg[n.atom]! <= 1) queue.push(n.atom);
    }
  }
  const keep = new Set<number>();
  for (let i = 0; i < g.atoms.length; i++) if (alive[i]) keep.add(i);
  for (let i = 0; i < g.atoms.length; i++) {
    if (alive[i] || nb[i]!.length !== 1 || g.atoms[i]!.z === 1) continue;
    const n = nb[i]![0]!;
    if (alive[n.atom] && g.bonds[n.bond]!.order === 2) keep.add(i);
  }
  return keep;
}

function pad(s: string | number, width: number): string {
  const t = String(s);
  return t.length >= width ? t : ' '.repeat(width - t.length) + t;
}

/** V2000 molblock without coordinates or hydrogen counts (RDKit derives implicit H from valence). */
export function toMolblock(g: MolGraph): string {
  const lines = ['', '  MirrorWatch', ''];
  lines.push(`${pad(g.atoms.length, 3)}${pad(g.bonds.length, 3)}  0  0  0  0  0  0  0  0999 V2000`);
  for (const a of g.atoms) {
    const sym = elementSymbol(a.z);
    lines.push(`    0.0000    0.0000    0.0000 ${sym}${' '.repeat(3 - sym.length)} 0  0  0  0  0  0  0  0  0  0  0  0`);
  }
  for (const b of g.bonds) lines.push(`${pad(b.a + 1, 3)}${pad(b.b + 1, 3)}${pad(b.order, 3)}  0`);
  const charged = g.atoms.map((a, i) => [i + 1, a.chg] as const).filter(([, c]) => c !== 0);
  for (let i = 0; i < charged.length; i += 8) {
    const part = charged.slice(i, i + 8);
    lines.push(`M  CHG${pad(part.length, 3)}${part.map(([n, c]) => `${pad(n, 4)}${pad(c, 4)}`).join('')}`);
  }
  const isotopes = g.atoms.map((a, i) => [i + 1, a.iso] as const).filter(([, v]) => v !== 0);
  for (let i = 0; i < isotopes.length; i += 8) {
    const part = isotopes.slice(i, i + 8);
    lines.push(`M  ISO${pad(part.length, 3)}${part.map(([n, v]) => `${pad(n, 4)}${pad(v, 4)}`).join('')}`);
  }
  lines.push('M  END');
  return lines.join('\n') + '\n';
}

// ---------------------------------------------------------------------------
// Single edits, the way a medicinal chemist walks a series one change at a time.

export type EditName = 'remove_methyl' | 'add_fluorine' | 'drop_carboxyl' | 'add_methyl' | 'aza_swap' | 'remove_halogen' | 'methylate_hydroxyl';

function withoutAtoms(g: MolGraph, drop: ReadonlySet<number>): MolGraph {
  const keep = new Set<number>();
  for (let i = 0; i < g.atoms.length; i++) if (!drop.has(i)) keep.add(i);
  return subgraph(g, keep);
}

function withNewAtom(g: MolGraph, z: number, attachTo: number): MolGraph {
  const atoms = g.atoms.map((a) => ({ ...a }));
  atoms.push({ z, chg: 0, iso: 0, h: 0, arom: false });
  return { atoms, bonds: [...g.bonds, { a: attachTo, b: atoms.length - 1, order: 1 }], rings: g.rings };
}

/** Every graph one edit of kind `edit` away from `g` (one per site). */
export function singleEdits(g: MolGraph, edit: EditName): MolGraph[] {
  const nb = neighbours(g);
  const out: MolGraph[] = [];
  const atoms = g.atoms;
  for (let i = 0; i < atoms.length; i++) {
    const a = atoms[i]!;
    const n = nb[i]!;
    switch (edit) {
      case 'remove_methyl':
        if (a.z === 6 && !a.arom && a.chg === 0 && a.h === 3 && n.length === 1 && g.bonds[n[0]!.bond]!.order === 1) out.push(withoutAtoms(g, new Set([i])));
        break;
      case 'add_fluorine':
        if (a.z === 6 && a.arom && a.h >= 1) out.push(withNewAtom(g, 9, i));
        break;
      case 'add_methyl':
        if (a.z === 6 && a.arom && a.h >= 1) out.push(withNewAtom(g, 6, i));
        break;
      case 'aza_swap':
        if (a.z === 6 && a.arom && a.h === 1 && n.length === 2) {
          const atoms2 = g.atoms.map((x) => ({ ...x }));
          atoms2[i] = { ...a, z: 7, h: 0 };
          out.push({ ...g, atoms: atoms2 });
        }
        break;
      case 'remove_halogen':
        if ((a.z === 9 || a.z === 17 || a.z === 35 || a.z === 53) && n.length === 1) out.push(withoutAtoms(g, new Set([i])));
        break;
      case 'methylate_hydroxyl':
        if (a.z === 8 && a.h === 1 && a.chg === 0 && n.length === 1 && g.bonds[n[0]!.bond]!.order === 1) out.push(withNewAtom(g, 6, i));
        break;
      case 'drop_carboxyl': {
        // C(=O)O[H] (or carboxylate) on a carbon: delete the carboxyl carbon and both oxygens.
        if (a.z !== 6 || a.arom || n.length !== 3) break;
        let dbl = -1;
        let sgl = -1;
        let rest = -1;
        for (const x of n) {
          const t = atoms[x.atom]!;
          const order = g.bonds[x.bond]!.order;
          if (t.z === 8 && order === 2 && nb[x.atom]!.length === 1) dbl = x.atom;
          else if (t.z === 8 && order === 1 && nb[x.atom]!.length === 1) sgl = x.atom;
          else rest = x.atom;
        }
        if (dbl >= 0 && sgl >= 0 && rest >= 0 && atoms[rest]!.z === 6) out.push(withoutAtoms(g, new Set([i, dbl, sgl])));
        break;
      }
    }
  }
  return out;
}

/**
 * Splits `g` at every acyclic single bond between heavy atoms; returns each
 * cut as the two sides (atom index sets) and the atoms on either end.
 */
export function cuts(g: MolGraph): Array<{ sideA: Set<number>; sideB: Set<number>; atomA: number; atomB: number }> {
  const rb = ringBonds(g);
  const nb = neighbours(g);
  const out: Array<{ sideA: Set<number>; sideB: Set<number>; atomA: number; atomB: number }> = [];
  g.bonds.forEach((b, bi) => {
    if (b.order !== 1 || rb.has(bi) || g.atoms[b.a]!.z === 1 || g.atoms[b.b]!.z === 1) return;
    const side = new Set<number>([b.a]);
    const stack = [b.a];
    while (stack.length) {
      const x = stack.pop()!;
      for (const n of nb[x]!) {
        if (n.bond === bi || side.has(n.atom)) continue;
        side.add(n.atom);
        stack.push(n.atom);
      }
    }
    if (side.has(b.b)) return; // not a bridge
    const other = new Set<number>();
    for (let i = 0; i < g.atoms.length; i++) if (!side.has(i)) other.add(i);
    out.push({ sideA: side, sideB: other, atomA: b.a, atomB: b.b });
  });
  return out;
}

/** Joins part `pa` of `a` (attachment atom `atA`) and part `pb` of `b` (attachment `atB`) with a single bond. */
export function joinParts(a: MolGraph, pa: ReadonlySet<number>, atA: number, b: MolGraph, pb: ReadonlySet<number>, atB: number): MolGraph {
  const ga = subgraph(a, pa);
  const gb = subgraph(b, pb);
  const idxA = [...pa].sort((x, y) => x - y).indexOf(atA);
  const idxB = [...pb].sort((x, y) => x - y).indexOf(atB);
  const off = ga.atoms.length;
  return {
    atoms: [...ga.atoms, ...gb.atoms],
    bonds: [...ga.bonds, ...gb.bonds.map((x) => ({ a: x.a + off, b: x.b + off, order: x.order })), { a: idxA, b: idxB + off, order: 1 }],
    rings: [...ga.rings, ...gb.rings.map((r) => r.map((x) => x + off))],
  };
}
