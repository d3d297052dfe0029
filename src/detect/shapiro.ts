/**
 * Shapiro-Wilk W statistic (Shapiro & Wilk 1965) with Royston's (1992, 1995;
 * algorithm AS R94) polynomial approximation of the coefficients, valid for
 * 3 <= n <= 5000. W near 1 means the sample looks normal; PRADA (Juuti et al.
 * 2019) flags a client whose minimum query distances give W below a threshold.
 * Checked against SciPy's `shapiro` in shapiro.test.ts.
 */

/** Inverse of the standard normal CDF (Acklam's rational approximation, relative error < 1.15e-9). */
export function normalQuantile(p: number): number {
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const lo = 0.02425;
  if (p < lo) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c[0]! * q + c[1]!) * q + c[2]!) * q + c[3]!) * q + c[4]!) * q + c[5]!) / ((((d[0]! * q + d[1]!) * q + d[2]!) * q + d[3]!) * q + 1);
  }
  if (p > 1 - lo) return -normalQuantile(1 - p);
  const q = p - 0.5;
  const r = q * q;
  return ((((((a[0]! * r + a[1]!) * r + a[2]!) * r + a[3]!) * r + a[4]!) * r + a[5]!) * q) / (((((b[0]! * r + b[1]!) * r + b[2]!) * r + b[3]!) * r + b[4]!) * r + 1);
}

function poly(c: readonly number[], x: number): number {
  let r = 0;
  for (let i = c.length - 1; i >= 0; i--) r = r * x + c[i]!;
  return r;
}

/** W for a sample of 3..5000 values; NaN when undefined (too few values, or all equal). */
export function shapiroWilkW(sample: readonly number[]): number {
  const n = sample.length;
  if (n < 3 || n > 5000) return NaN;
  const x = [...sample].sort((p, q) => p - q);
  const range = x[n - 1]! - x[0]!;
  if (range <= 0) return NaN;
  const half = n >> 1;
  const a = new Array<number>(half);
  if (n === 3) {
    a[0] = Math.SQRT1_2;
  } else {
    const m = new Array<number>(half);
    let summ2 = 0;
    for (let i = 0; i < half; i++) {
      m[i] = -normalQuantile((i + 1 - 0.375) / (n + 0.25));
      summ2 += m[i]! * m[i]!;
    }
    summ2 *= 2;
    const ssumm2 = Math.sqrt(summ2);
    const rsn = 1 / Math.sqrt(n);
    const a1 = poly([0, 0.221157, -0.147981, -2.07119, 4.434685, -2.706056], rsn) + m[0]! / ssumm2;
    let i1: number;
    let fac: number;
    if (n > 5) {
      i1 = 2;
      const a2 = poly([0, 0.042981, -0.293762, -1.752461, 5.682633, -3.582633], rsn) + m[1]! / ssumm2;
      fac = Math.sqrt((summ2 - 2 * m[0]! * m[0]! - 2 * m[1]! * m[1]!) / (1 - 2 * a1 * a1 - 2 * a2 * a2));
      a[1] = a2;
    } else {
      i1 = 1;
      fac = Math.sqrt((summ2 - 2 * m[0]! * m[0]!) / (1 - 2 * a1 * a1));
    }
    a[0] = a1;
    for (let i = i1; i < half; i++) a[i] = m[i]! / fac;
  }
  // a holds the positive coefficients for the upper half; W = (sum a_i (x_(n+1-i) - x_(i)))^2 / SS.
  let num = 0;
  for (let i = 0; i < half; i++) num += a[i]! * (x[n - 1 - i]! - x[i]!);
  const mean = x.reduce((s, v) => s + v, 0) / n;
  let ss = 0;
  for (const v of x) ss += (v - mean) * (v - mean);
  const w = (num * num) / ss;
  return Math.min(1, w);
}
