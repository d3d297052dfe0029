/** Small robust statistics shared by detectors. */

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return 0;
  // A typed array sorts numerically without a comparator call per step: medians run at every day close.
  const s = Float64Array.from(xs).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Linear-interpolated quantile (q in 0..1). */
export function quantile(xs: readonly number[], q: number): number {
  if (xs.length === 0) return 0;
  const s = Float64Array.from(xs).sort();
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(s.length - 1, lo + 1);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * Median absolute deviation scaled by 1.4826, which makes it a consistent
 * estimator of the standard deviation for normal data (Rousseeuw & Croux 1993;
 * Leys et al. 2013 recommend a cut of 2.5-3 such units for outliers).
 */
export function scaledMad(xs: readonly number[], med = median(xs)): number {
  return 1.4826 * median(xs.map((x) => Math.abs(x - med)));
}

/** A fixed-capacity FIFO of numbers: bounded history. */
export class Ring {
  private readonly buf: number[] = [];
  constructor(readonly capacity: number) {}
  /** A ring holding `values` (the newest `capacity` of them), e.g. restored from a snapshot. */
  static of(capacity: number, values: readonly number[]): Ring {
    const r = new Ring(capacity);
    for (const x of values) r.push(x);
    return r;
  }
  push(x: number): void {
    this.buf.push(x);
    if (this.buf.length > this.capacity) this.buf.shift();
  }
  values(): readonly number[] {
    return this.buf;
  }
  get length(): number {
    return this.buf.length;
  }
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;

export function dayStart(ms: number): number {
  return Math.floor(ms / DAY_MS) * DAY_MS;
}

/** Saturday and Sunday (UTC) form their own baseline: research traffic is weekly. */
export function isWeekend(ms: number): boolean {
  const d = new Date(ms).getUTCDay();
  return d === 0 || d === 6;
}

export function fmt(n: number): string {
  if (Math.abs(n) >= 1e9) return `${(n / 1e9).toFixed(2)} G`;
  if (Math.abs(n) >= 1e6) return `${(n / 1e6).toFixed(1)} M`;
  if (Number.isInteger(n)) return String(n);
  return n.toFixed(1);
}

/**
 * Closes every principal's open day that the watermark has passed, in
 * principal-name order (so shared state such as team baselines fills the same
 * way however events arrived), and returns the alerts and the next time a day
 * can close. Shared by the detectors that keep one open day per principal.
 */
export function closeDueDays<D extends { startMs: number }, S extends { day?: D | null | undefined }, A>(
  states: ReadonlyMap<string, S>,
  watermarkMs: number,
  close: (principal: string, state: S, day: D) => A[],
): { alerts: A[]; nextClose: number } {
  const alerts: A[] = [];
  let nextClose = Infinity;
  for (const p of [...states.keys()].sort()) {
    const s = states.get(p)!;
    if (s.day && s.day.startMs + DAY_MS <= watermarkMs) alerts.push(...close(p, s, s.day));
    if (s.day) nextClose = Math.min(nextClose, s.day.startMs + DAY_MS);
  }
  return { alerts, nextClose };
}

/**
 * Baseline for a principal's day: the median and scaled MAD of their own
 * earlier days once there are `minDays`, else of their team's recent days (a
 * new principal), else zero with `floorSpread` (no team either).
 */
export function ownTeamOrFloor(own: readonly number[], team: string | null, teamDays: readonly number[] | undefined, minDays: number, floorSpread: number): { base: number; spread: number; source: string } {
  if (own.length >= minDays) {
    const base = median(own);
    return { base, spread: scaledMad(own, base), source: 'their own median' };
  }
  if (teamDays && teamDays.length >= minDays) {
    const base = median(teamDays);
    return { base, spread: scaledMad(teamDays, base), source: `the ${team} team's median (new principal)` };
  }
  return { base: 0, spread: floorSpread, source: 'the new-principal floor' };
}
