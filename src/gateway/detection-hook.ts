/**
 * Inline extraction defence: the detection engine's own detectors (the same
 * code and per-principal state model `mirrorwatch detect` runs over the
 * store) fed with the gateway's inference events as they finish, in event
 * time (the gateway's clock stamps every event), and a policy that maps the
 * severity of the alerts they raise to a containment action.
 *
 * Edge-triggered: each new alert asks for its action once, on the alerted
 * principal's next request; the action is then sticky in the containment
 * state (until its duration ends or an admin lifts it). A level-triggered
 * hook would re-apply a containment an admin has just lifted after review.
 *
 * Ordering: the engine runs with no allowed lateness, because the gateway
 * stamps events with one clock when they finish, so they arrive in time
 * order. Before deciding on a request at time t the engine is advanced to t:
 * every event that finished before t has been delivered, and windows ending
 * by t (a day of query volume) have closed.
 */
import { DETECTORS, EXPERIMENTAL_DETECTORS } from '../detect/registry.js';
import type { Alert, Severity } from '../detect/alert.js';
import { createEngine, type DetectionEngine } from '../detect/engine.js';
import { buildContext, type AnyDetector, type DetectionContext } from '../detect/types.js';
import { eventMs, type InferenceEvent } from '../events/index.js';
import type { RiskAction, RiskContext, RiskDecision, RiskHook } from './risk.js';
import { NO_RISK } from './risk.js';

/** Every registered detector (default and experimental) that reads inference events. */
export function inferenceDetectors(): AnyDetector[] {
  return [...DETECTORS, ...EXPERIMENTAL_DETECTORS].filter((d) => d.accepts.includes('inference'));
}

export interface DetectionHookOptions {
  /** Detectors to run; default `inferenceDetectors()`. */
  detectors?: readonly AnyDetector[];
  /** Per-detector option overrides by id (validated by each detector's schema). */
  detectorOptions?: Readonly<Record<string, unknown>>;
  /** Directory, inventory, compound sets and fingerprints; default an empty context. */
  context?: DetectionContext;
  /** Action per alert severity; default low: none (alert only), medium: degrade, high: step_up, critical: block. */
  actions?: Partial<Record<Severity, RiskAction>>;
  /** How long an action lasts; none = until an admin lifts it. */
  durationMs?: number;
  /** Request rate a `throttle` action allows. */
  throttleRequestsPerSecond?: number;
  /** Every alert the detectors raise, as it is raised. */
  onAlert?: (alert: Alert) => void;
}

export const DEFAULT_SEVERITY_ACTIONS: Readonly<Record<Severity, RiskAction>> = { low: 'none', medium: 'degrade', high: 'step_up', critical: 'block' };

const RANK: Record<RiskAction, number> = { none: 0, degrade: 1, throttle: 2, step_up: 3, block: 4 };

export interface DetectionHook extends RiskHook {
  /** Alerts raised so far (in the order raised). */
  readonly alerts: readonly Alert[];
  /** The engine, for its stats (late events, state sizes). */
  readonly engine: DetectionEngine;
  /**
   * Heartbeat: the gateway's traffic is complete up to `ms`, so windows
   * ending by then close now (a day of query volume at midnight) instead of
   * on the next request. Alerts raised count like any other: their actions
   * wait for the principal's next request. Returns them.
   */
  tick(ms: number): Alert[];
}

export function createDetectionHook(options: DetectionHookOptions = {}): DetectionHook {
  const actions = { ...DEFAULT_SEVERITY_ACTIONS, ...options.actions };
  const engine = createEngine({
    context: options.context ?? buildContext({}),
    detectors: options.detectors ?? inferenceDetectors(),
    ...(options.detectorOptions ? { detectorOptions: options.detectorOptions } : {}),
    allowedLatenessSeconds: 0,
  });
  const alerts: Alert[] = [];
  /** Alerts not yet acted on, by principal. */
  const pending = new Map<string, Alert[]>();

  const take = (raised: readonly Alert[]): void => {
    for (const a of raised) {
      alerts.push(a);
      options.onAlert?.(a);
      const list = pending.get(a.principal);
      if (list) list.push(a);
      else pending.set(a.principal, [a]);
    }
  };

  return {
    name: 'detection-engine',
    alerts,
    engine,
    evaluate(ctx: RiskContext): RiskDecision {
      take(engine.advanceTo(eventMs(ctx.event)));
      const p = ctx.event.principal.canonical;
      const mine = pending.get(p);
      if (!mine) return NO_RISK;
      pending.delete(p);
      let action: RiskAction = 'none';
      for (const a of mine) if (RANK[actions[a.severity]] > RANK[action]) action = actions[a.severity];
      return {
        action,
        reasons: mine.map((a) => `${a.detector} ${a.severity}: ${a.explanation}`),
        ...(options.durationMs !== undefined ? { durationMs: options.durationMs } : {}),
        ...(action === 'throttle' ? { requestsPerSecond: options.throttleRequestsPerSecond ?? 1 } : {}),
        details: { alerts: mine },
      };
    },
    observe(event: InferenceEvent): void {
      take(engine.push([event]));
    },
    tick(ms: number): Alert[] {
      const raised = engine.advanceTo(ms);
      take(raised);
      return raised;
    },
  };
}
