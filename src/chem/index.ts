/**
 * RDKit MinimalLib behind a small cached face. Canonicalising costs ~0.3 ms
 * per molecule and a Morgan fingerprint ~0.25 ms more on these machines, so
 * both are cached by input; real prediction traffic repeats molecules heavily.
 */
import rdkitPackage from '@rdkit/rdkit';
import type { MainModule as RDKitModule } from '@rdkit/rdkit';
import { LruCache } from '../util/lru.js';

export interface Chem {
  /** RDKit canonical SMILES, or null when RDKit cannot parse the input. */
  canonical(smiles: string): string | null;
  /** Morgan fingerprint (radius 2, 2048 bits) as packed bytes, or null. Lazily computed. */
  fingerprint(smiles: string): Uint8Array | null;
  stats(): { canonicalHits: number; canonicalMisses: number; fingerprintMisses: number };
}

export interface ChemOptions {
  /** Entries kept per cache; bounds memory on unbounded input streams. */
  cacheSize?: number;
  /** Morgan radius (2 = ECFP4, the usual choice for activity similarity). */
  radius?: number;
  nBits?: number;
}

type Factory = () => Promise<RDKitModule>;
// The package is CommonJS whose module.exports is the factory, while its
// typings declare an ES default export; accept either shape.
const pkg = rdkitPackage as unknown as Factory | { default: Factory };
const initRDKitModule: Factory = typeof pkg === 'function' ? pkg : pkg.default;

let modulePromise: Promise<RDKitModule> | undefined;

export function loadRdkit(): Promise<RDKitModule> {
  modulePromise ??= initRDKitModule();
  return modulePromise;
}

/** The fingerprint the detectors use, as the cache in the store names it (Morgan radius 2 = ECFP4, 2048 bits). */
export const FINGERPRINT_KIND = 'morgan-r2-2048';

/** A SMILES longer than this is not a drug-like molecule; refusing it bounds RDKit's work on hostile input. */
export const MAX_SMILES_LENGTH = 2000;

export async function createChem(options: ChemOptions = {}): Promise<Chem> {
  const rdkit = await loadRdkit();
  const size = options.cacheSize ?? 200_000;
  const fpDetails = JSON.stringify({ radius: options.radius ?? 2, nBits: options.nBits ?? 2048 });
  const canon = new LruCache<string, { canonical: string | null }>(size);
  const fps = new LruCache<string, Uint8Array | null>(Math.max(1000, size >> 2));
  let hits = 0;
  let misses = 0;
  let fpMisses = 0;

  function withMol<T>(smiles: string, fn: (mol: NonNullable<ReturnType<RDKitModule['get_mol']>>) => T): T | null {
    if (smiles.length === 0 || smiles.length > MAX_SMILES_LENGTH) return null;
    let mol: ReturnType<RDKitModule['get_mol']> = null;
    try {
      mol = rdkit.get_mol(smiles);
      if (!mol || !mol.is_valid()) return null;
      return fn(mol);
    } catch {
      return null;
    } finally {
      mol?.delete();
    }
  }

  function identify(smiles: string): { canonical: string | null } {
      const c = canon.get(smiles);
      if (c !== undefined) {
        hits++;
        return c;
      }
      misses++;
      const canonical = withMol(smiles, (m) => m.get_smiles());
      const v = { canonical };
      canon.set(smiles, v);
      return v;
  }

  return {
    canonical: (smiles) => identify(smiles).canonical,
    fingerprint(smiles) {
      const c = fps.get(smiles);
      if (c !== undefined) return c;
      fpMisses++;
      const v = withMol(smiles, (m) => m.get_morgan_fp_as_uint8array(fpDetails));
      fps.set(smiles, v);
      return v;
    },
    stats: () => ({ canonicalHits: hits, canonicalMisses: misses, fingerprintMisses: fpMisses }),
  };
}

/** Tanimoto similarity of two packed bit fingerprints of equal length. */
export function tanimoto(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    both += POPCOUNT[x & y]!;
    either += POPCOUNT[x | y]!;
  }
  return either === 0 ? 1 : both / either;
}

const POPCOUNT = new Uint8Array(256);
for (let i = 1; i < 256; i++) POPCOUNT[i] = (i & 1) + POPCOUNT[i >> 1]!;
