/**
 * Platt scaling (Platt 1999, with Lin, Lin & Weng's 2007 Newton iteration and
 * smoothed targets): maps a real-valued score to P(positive) = 1 / (1 + exp(a s + b)).
 */
export interface Platt {
  a: number;
  b: number;
}

export function fitPlatt(scores: ArrayLike<number>, labels: ArrayLike<number>): Platt {
  let pos = 0;
  let neg = 0;
  for (let i = 0; i < labels.length; i++) if (labels[i] === 1) pos++;
  else neg++;
  const hi = (pos + 1) / (pos + 2);
  const lo = 1 / (neg + 2);
  let a = 0;
  let b = Math.log((neg + 1) / (pos + 1));
  const sigma = 1e-12;
  const objective = (aa: number, bb: number): number => {
    let f = 0;
    for (let i = 0; i < scores.length; i++) {
      const t = labels[i] === 1 ? hi : lo;
      const z = scores[i]! * aa + bb;
      f += z >= 0 ? t * z + Math.log1p(Math.exp(-z)) : (t - 1) * z + Math.log1p(Math.exp(z));
    }
    return f;
  };
  let fval = objective(a, b);
  for (let it = 0; it < 100; it++) {
    let h11 = sigma;
    let h22 = sigma;
    let h21 = 0;
    let g1 = 0;
    let g2 = 0;
    for (let i = 0; i < scores.length; i++) {
      const t = labels[i] === 1 ? hi : lo;
      const z = scores[i]! * a + b;
      const p = z >= 0 ? Math.exp(-z) / (1 + Math.exp(-z)) : 1 / (1 + Math.exp(z));
      const q = 1 - p;
      const d2 = p * q;
      const s = scores[i]!;
      h11 += s * s * d2;
      h22 += d2;
      h21 += s * d2;
      const d1 = t - p;
      g1 += s * d1;
      g2 += d1;
    }
    if (Math.abs(g1) < 1e-5 && Math.abs(g2) < 1e-5) break;
    const det = h11 * h22 - h21 * h21;
    const da = -(h22 * g1 - h21 * g2) / det;
    const db = -(-h21 * g1 + h11 * g2) / det;
    const gd = g1 * da + g2 * db;
    let step = 1;
    for (; step >= 1e-10; step /= 2) {
      const na = a + step * da;
      const nb = b + step * db;
      const nf = objective(na, nb);
      if (nf < fval + 1e-4 * step * gd) {
        a = na;
        b = nb;
        fval = nf;
        break;
      }
    }
    if (step < 1e-10) break;
  }
  return { a, b };
}

export function applyPlatt(p: Platt, score: number): number {
  return 1 / (1 + Math.exp(p.a * score + p.b));
}
