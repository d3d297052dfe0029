/**
 * The simulated models' answers. Each answer is a pure function of the model
 * and the input (a re-query gets the same answer, as from a deployed model),
 * shaped so that a model-theft campaign finds what it looks for: confidence
 * is high on the training set, fair on the rest of the internal library and
 * low far from it; chemical series share a potency level (SAR).
 */
import type { ModelDef, World } from './world.js';
import { inTraining } from './world.js';
import type { Pool } from './pool.js';
import { fnv1a } from './rng.js';

/** One model input: a pool molecule (index >= 0) or an external SMILES (edge case, enumeration, interpolation). */
export interface Query {
  smiles: string;
  poolIdx: number;
  /** The server cannot parse it. */
  invalid?: boolean;
  /** Numeric feature vector, for models whose input is not a molecule (the `smiles` field then holds a stable key). */
  features?: number[];
}

const RESIDUES = ['ASP32', 'ASP228', 'TYR71', 'THR72', 'GLN73', 'GLY230', 'THR231', 'THR232', 'ARG235', 'LYS107', 'PHE108', 'ILE110', 'TRP115', 'ILE118', 'LEU30', 'GLY34', 'SER35', 'VAL69', 'PRO70', 'TYR198'];
const TOX_LABELS = '["hepatotoxicity","cardiotoxicity","nephrotoxicity"]';

const HEAVY = /Cl|Br|[BCNOPSFI]|[bcnops]/g;

function heavyOf(smiles: string): number {
  return (smiles.match(HEAVY) ?? []).length;
}

/** xorshift32 stream from a hash: cheap per-molecule randomness that needs no state. */
function stream(seed: number): () => number {
  let x = seed >>> 0 || 0x9e3779b9;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x / 4294967296;
  };
}

export interface ModelAnswer {
  /** The JSON of one element of `predictions`. */
  json: string;
  /** `json` escaped for embedding in a JSON string (filled in lazily by the gateway writer). */
  esc?: string;
  confidence: number | null;
}

export class ModelOracle {
  private cache = new Map<number, ModelAnswer>();
  private readonly cap = 150_000;

  constructor(
    private readonly world: World,
    private readonly pool: Pool,
  ) {}

  answer(model: ModelDef, q: Query): ModelAnswer {
    if (q.poolIdx >= 0) {
      const key = model.idx * 131072 + q.poolIdx;
      let a = this.cache.get(key);
      if (a === undefined) {
        if (this.cache.size >= this.cap) this.cache.clear();
        a = this.compute(model, q);
        this.cache.set(key, a);
      }
      return a;
    }
    return this.compute(model, q);
  }

  private compute(model: ModelDef, q: Query): ModelAnswer {
    if (q.invalid) return { json: '{"prediction":null,"confidence":null,"error":"invalid SMILES"}', confidence: null };
    const r = stream(fnv1a(q.smiles, fnv1a(model.name)));
    let conf: number;
    let heavy: number;
    let seriesLevel: number;
    if (q.poolIdx >= 0) {
      heavy = this.pool.heavy[q.poolIdx]!;
      const cl = this.pool.cluster[q.poolIdx]!;
      seriesLevel = stream(fnv1a(model.name, cl + 1))();
      if (inTraining(this.world, model, q.poolIdx)) conf = 0.82 + 0.15 * r();
      else if (this.world.library.inLib[q.poolIdx]) conf = 0.66 + 0.24 * r();
      else conf = 0.3 + 0.48 * r();
    } else if (model.input === 'features') {
      heavy = 20;
      seriesLevel = r();
      conf = 0.6 + 0.35 * r();
    } else {
      heavy = Math.max(1, heavyOf(q.smiles));
      seriesLevel = r();
      conf = 0.18 + 0.5 * r();
    }
    if (heavy < 10 || heavy > 50) conf *= 0.75;
    const c = conf.toFixed(3);
    switch (model.output) {
      case 'affinity': {
        const p = 4.2 + 4.4 * seriesLevel + (r() - 0.5) * 1.4;
        const half = 0.25 + (1 - conf) * 2.2;
        const n = Math.min(64, Math.max(1, heavy));
        const w: number[] = [];
        let sum = 0;
        for (let i = 0; i < n; i++) {
          const v = Math.pow(r(), 3);
          w.push(v);
          sum += v;
        }
        const att = w.map((v) => (v / sum).toFixed(2)).join(',');
        const nres = 2 + Math.floor(r() * 3);
        const res: string[] = [];
        while (res.length < nres) {
          const x = RESIDUES[Math.floor(r() * RESIDUES.length)]!;
          if (!res.includes(x)) res.push(x);
        }
        return {
          json: `{"prediction":${p.toFixed(2)},"confidence":${c},"interval":[${(p - half).toFixed(2)},${(p + half).toFixed(2)}],"attention_weights":[${att}],"binding_residues":${JSON.stringify(res)}}`,
          confidence: conf,
        };
      }
      case 'multilabel': {
        const probs = [r(), r(), r()].map((x) => (seriesLevel * 0.4 + x * 0.6).toFixed(3));
        return { json: `{"prediction":[${probs.join(',')}],"labels":${TOX_LABELS},"confidence":${c}}`, confidence: conf };
      }
      case 'admet': {
        const heads: string[] = [];
        for (let i = 0; i < 23; i++) heads.push((seriesLevel * 0.5 + r() * 0.5).toFixed(3));
        return { json: `{"prediction":[${heads.join(',')}],"confidence":${c}}`, confidence: conf };
      }
      case 'classifier': {
        const p = seriesLevel * 0.5 + r() * 0.5;
        return { json: `{"prediction":${p.toFixed(3)},"label":${p >= 0.5 ? 1 : 0},"confidence":${c}}`, confidence: conf };
      }
      case 'regression':
      case 'trial': {
        const p = model.output === 'trial' ? seriesLevel * 0.6 + r() * 0.4 : -6 + 10 * seriesLevel + (r() - 0.5) * 2;
        const half = (model.output === 'trial' ? 0.05 : 0.2) + (1 - conf) * (model.output === 'trial' ? 0.3 : 1.5);
        return { json: `{"prediction":${p.toFixed(3)},"confidence":${c},"interval":[${(p - half).toFixed(3)},${(p + half).toFixed(3)}]}`, confidence: conf };
      }
    }
  }
}
