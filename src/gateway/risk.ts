/**
 * The seam for inline detection, and the containment state it and the admin
 * API drive. The detection engine (extraction, probing, membership
 * detectors) plugs in as a `RiskHook`: called once per request, before the
 * request is forwarded, with the canonical inference event (inputs decoded,
 * outputs still null); it returns an action. `observe` receives the finished
 * event (outputs as the caller saw them) so a detector can keep state.
 *
 * Actions, mildest first: none (alert only when reasons are given), degrade
 * (the principal gets the most restricted output policy), throttle (a
 * request rate for the principal), step_up (reject with an id until an admin
 * lifts it), block (freeze the principal). Every action other than `none`
 * is sticky: it stays until its duration ends or an admin lifts it.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import type { InferenceEvent } from '../events/index.js';

export const RISK_ACTIONS = ['none', 'degrade', 'throttle', 'step_up', 'block'] as const;
export type RiskAction = (typeof RISK_ACTIONS)[number];

export interface RiskDecision {
  action: RiskAction;
  /** Why (detector names, scores); alerts and audit events carry them. */
  reasons: string[];
  /** How long a sticky action lasts; none = until lifted. */
  durationMs?: number;
  /** For `throttle`: the request rate allowed to the principal. */
  requestsPerSecond?: number;
  /** Written into the action line (e.g. the detector alerts behind the decision). */
  details?: Record<string, unknown>;
}

export interface RiskContext {
  /** The canonical inference event of this request, before forwarding (outputs null). */
  event: InferenceEvent;
  keyId: string;
  role: string;
  team: string | null;
}

export interface RiskHook {
  readonly name: string;
  evaluate(ctx: RiskContext): RiskDecision | Promise<RiskDecision>;
  observe?(event: InferenceEvent): void;
}

export const NO_RISK: RiskDecision = { action: 'none', reasons: [] };

const SEVERITY: Record<RiskAction, number> = { none: 0, degrade: 1, throttle: 2, step_up: 3, block: 4 };

/** The strongest of several hooks' decisions; reasons from all that asked for something. */
export function combineDecisions(ds: readonly RiskDecision[]): RiskDecision {
  let best: RiskDecision = NO_RISK;
  const reasons: string[] = [];
  let details: Record<string, unknown> | undefined;
  for (const d of ds) {
    reasons.push(...d.reasons);
    if (d.details) details = { ...details, ...d.details };
    if (SEVERITY[d.action] > SEVERITY[best.action]) best = d;
  }
  return { ...best, reasons, ...(details ? { details } : {}) };
}

export interface PrincipalState {
  frozen?: { since: string; until: string | null; reason: string } | undefined;
  stepUp?: { id: string; since: string; until: string | null; reason: string } | undefined;
  throttle?: { requestsPerSecond: number; until: string | null; reason: string } | undefined;
  outputPolicy?: { policy: string; until: string | null; reason: string } | undefined;
}

/** Containment per principal, persisted so a restart does not lift a freeze. */
export class ContainmentState {
  private principals = new Map<string, PrincipalState>();

  constructor(private readonly file: string | null, private readonly now: () => number = Date.now) {
    if (file) {
      try {
        const o = JSON.parse(readFileSync(file, 'utf8')) as { principals: Record<string, PrincipalState> };
        this.principals = new Map(Object.entries(o.principals));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
      }
    }
  }

  private save(): void {
    if (!this.file) return;
    mkdirSync(dirname(this.file), { recursive: true });
    const tmp = `${this.file}.tmp`;
    writeFileSync(tmp, JSON.stringify({ version: 1, principals: Object.fromEntries(this.principals) }, null, 2));
    renameSync(tmp, this.file);
  }

  private live<T extends { until: string | null }>(v: T | undefined): T | undefined {
    return v && (v.until === null || Date.parse(v.until) > this.now()) ? v : undefined;
  }

  /** The principal's active containment (expired entries ignored). */
  get(principal: string): PrincipalState {
    const s = this.principals.get(principal);
    if (!s) return {};
    return { frozen: this.live(s.frozen), stepUp: this.live(s.stepUp), throttle: this.live(s.throttle), outputPolicy: this.live(s.outputPolicy) };
  }

  all(): Record<string, PrincipalState> {
    const out: Record<string, PrincipalState> = {};
    for (const p of this.principals.keys()) out[p] = this.get(p);
    return out;
  }

  private until(ms: number | undefined): string | null {
    return ms === undefined ? null : new Date(this.now() + ms).toISOString();
  }

  private update(principal: string, fn: (s: PrincipalState) => void): PrincipalState {
    const s = this.principals.get(principal) ?? {};
    fn(s);
    this.principals.set(principal, s);
    this.save();
    return this.get(principal);
  }

  freeze(principal: string, reason: string, durationMs?: number): PrincipalState {
    return this.update(principal, (s) => (s.frozen = { since: new Date(this.now()).toISOString(), until: this.until(durationMs), reason }));
  }

  requireStepUp(principal: string, reason: string, durationMs?: number): string {
    const existing = this.get(principal).stepUp;
    if (existing) return existing.id;
    const id = randomBytes(8).toString('hex');
    this.update(principal, (s) => (s.stepUp = { id, since: new Date(this.now()).toISOString(), until: this.until(durationMs), reason }));
    return id;
  }

  throttle(principal: string, requestsPerSecond: number, reason: string, durationMs?: number): PrincipalState {
    return this.update(principal, (s) => (s.throttle = { requestsPerSecond, until: this.until(durationMs), reason }));
  }

  setOutputPolicy(principal: string, policy: string, reason: string, durationMs?: number): PrincipalState {
    return this.update(principal, (s) => (s.outputPolicy = { policy, until: this.until(durationMs), reason }));
  }

  /** Lifts one kind of containment, or all of them. */
  lift(principal: string, what: 'all' | 'freeze' | 'step_up' | 'throttle' | 'output_policy' = 'all'): PrincipalState {
    return this.update(principal, (s) => {
      if (what === 'all' || what === 'freeze') delete s.frozen;
      if (what === 'all' || what === 'step_up') delete s.stepUp;
      if (what === 'all' || what === 'throttle') delete s.throttle;
      if (what === 'all' || what === 'output_policy') delete s.outputPolicy;
    });
  }
}
