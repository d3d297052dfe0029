/**
 * Registry and artifact theft.
 *
 * A "pull" is a model's artifacts leaving the registry to a principal: MLflow
 * artifact downloads, or object reads under the model's artifact location
 * (MinIO/S3), grouped per principal and model into sessions that end after
 * `sessionGapMinutes` of quiet. A pull alerts once its bytes reach
 * `largeReadBytes` and either the model is outside the principal's remit
 * (another team's model, or outside their projects, per directory and
 * inventory) or it is a TRADE_SECRET model pulled during the principal's
 * notice period (HR). A get-download-uri for the model just before the pull
 * (`followWindowMinutes`) marks intent to copy the weights out of the
 * platform and raises the severity.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE, raiseSeverity } from '../alert.js';
import { inWindow, updateWatchWindow } from '../hr.js';
import type { WatchWindow } from '../hr.js';
import { artifactResolver, modelScope, registryModel } from '../scope.js';
import { fmt, HOUR_MS } from '../stats.js';
import type { Detector, DetectorInstance } from '../types.js';

export const registryTheftOptions = z
  .object({
    /** Bytes of one model's artifacts in a session from which the pull counts (weights, not metadata files). */
    largeReadBytes: z.number().int().positive().default(50 * 1024 * 1024),
    /** A pull this long after a get-download-uri for the same model counts as following it, minutes. */
    followWindowMinutes: z.number().positive().default(60),
    /** Quiet time that ends a pull session, minutes. */
    sessionGapMinutes: z.number().positive().default(120),
    /** Open sessions and pending download URIs kept per principal (oldest evicted). */
    maxOpenPerPrincipal: z.number().int().positive().default(16),
    /** Days after the last working day during which the notice-period rule still applies. */
    noticeMarginDays: z.number().int().nonnegative().default(14),
    /** Notice period assumed when HR gives no last working day, days. */
    noticeDays: z.number().int().positive().default(30),
  })
  .strict();
export type RegistryTheftOptions = z.infer<typeof registryTheftOptions>;

interface Session {
  model: string;
  startMs: number;
  lastMs: number;
  bytes: number;
  evidence: string[];
  alerted: boolean;
}

interface PrincipalState {
  uris: Array<{ model: string; ms: number; id: string }>;
  sessions: Session[];
  notice: WatchWindow | undefined;
}

interface Snapshot {
  states: Array<[string, { uris: PrincipalState['uris']; sessions: Session[]; notice: WatchWindow | null }]>;
  nextSweep: number | null;
}

const TECHNIQUES = ['AML.T0048.004', 'AML.T0035', 'T1530', 'T1213'] as const;

export const registryTheft: Detector<RegistryTheftOptions> = {
  id: 'registry-theft',
  title: 'Model artifacts pulled outside the principal\'s remit or during a notice period',
  accepts: ['registry', 'object', 'hr'],
  options: registryTheftOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: 2 * o.maxOpenPerPrincipal * (1 + MAX_EVIDENCE) + 1,
    maxBytesPerPrincipal: 2 * o.maxOpenPerPrincipal * (MAX_EVIDENCE * 48 + 128) + 64,
  }),
  create(o, ctx): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    const resolve = artifactResolver(ctx);
    const gapMs = o.sessionGapMinutes * 60_000;
    const followMs = o.followWindowMinutes * 60_000;
    let nextSweep = -Infinity;

    function state(p: string): PrincipalState {
      let s = states.get(p);
      if (!s) states.set(p, (s = { uris: [], sessions: [], notice: undefined }));
      return s;
    }

    function evaluate(p: string, s: PrincipalState, x: Session): Alert[] {
      if (x.alerted || x.bytes < o.largeReadBytes) return [];
      const scope = modelScope(ctx, p, x.model);
      const secret = scope.model?.classification === 'TRADE_SECRET';
      const notice = inWindow(s.notice, x.startMs) && secret;
      const outside = scope.kind === 'out' || scope.kind === 'team';
      if (!outside && !notice) return [];
      x.alerted = true;
      const uri = s.uris.find((u) => u.model === x.model && u.ms <= x.startMs + 1 && x.startMs - u.ms <= followMs);
      let severity: Severity = scope.kind === 'out' ? (secret ? 'high' : 'medium') : secret ? 'medium' : 'low';
      if (uri) severity = raiseSeverity(severity);
      if (notice) severity = 'critical';
      const cls = scope.model?.classification ?? 'unclassified';
      const why = [outside ? scope.reason : null, notice ? 'it is a TRADE_SECRET model and they are in their notice period' : null]
        .filter(Boolean)
        .join(', and ');
      return [
        makeAlert({
          detector: 'registry-theft',
          severity,
          principal: p,
          models: [x.model],
          atMs: x.lastMs,
          windowStartMs: uri ? Math.min(uri.ms, x.startMs) : x.startMs,
          windowEndMs: x.lastMs,
          key: x.model,
          techniques: [...TECHNIQUES],
          observed: x.bytes,
          baseline: 0,
          threshold: o.largeReadBytes,
          evidence: uri ? [uri.id, ...x.evidence] : x.evidence,
          explanation: `${p} pulled ${fmt(x.bytes)}B of ${cls} model ${x.model}${uri ? ' right after requesting its download URI' : ''}, although ${why}.`,
        }),
      ];
    }

    function pull(p: string, model: string, ms: number, bytes: number, id: string): Alert[] {
      const s = state(p);
      let x = s.sessions.find((q) => q.model === model && ms - q.lastMs <= gapMs);
      if (!x) {
        x = { model, startMs: ms, lastMs: ms, bytes: 0, evidence: [], alerted: false };
        s.sessions.push(x);
        if (s.sessions.length > o.maxOpenPerPrincipal) s.sessions.shift();
      }
      x.lastMs = ms;
      x.bytes += bytes;
      if (x.evidence.length < MAX_EVIDENCE) x.evidence.push(id);
      return evaluate(p, s, x);
    }

    return {
      onEvent(e, ms) {
        const p = e.principal.canonical;
        if (e.kind === 'hr') {
          const s = state(p);
          s.notice = updateWatchWindow(s.notice, e, ms, o.noticeMarginDays, o.noticeDays);
          return [];
        }
        if (e.kind === 'registry') {
          const model = registryModel(e);
          if (!model || e.outcome === 'failure') return [];
          if (e.action === 'get_download_uri') {
            const s = state(p);
            s.uris.push({ model, ms, id: e.id });
            if (s.uris.length > o.maxOpenPerPrincipal) s.uris.shift();
            return [];
          }
          if (e.action === 'download_artifact') return pull(p, model, ms, e.bytes ?? 0, e.id);
          return [];
        }
        if (e.kind === 'object' && e.operation === 'get' && e.outcome !== 'failure') {
          const model = resolve(e.bucket, e.key);
          if (model) return pull(p, model, ms, e.bytes ?? 0, e.id);
        }
        return [];
      },
      onWatermark(ms) {
        // Expire quiet sessions and stale URIs so state stays bounded between pulls. Matching
        // re-checks the gaps itself, so when the sweep runs never changes an alert.
        if (ms < nextSweep) return [];
        nextSweep = ms + HOUR_MS;
        for (const s of states.values()) {
          if (s.sessions.length && s.sessions.some((x) => ms - x.lastMs > gapMs)) s.sessions = s.sessions.filter((x) => ms - x.lastMs <= gapMs);
          if (s.uris.length && s.uris.some((u) => ms - u.ms > followMs + 6 * HOUR_MS)) s.uris = s.uris.filter((u) => ms - u.ms <= followMs + 6 * HOUR_MS);
        }
        return [];
      },
      snapshot(): Snapshot {
        return {
          states: [...states].map(([p, s]) => [
            p,
            { uris: s.uris.map((u) => ({ ...u })), sessions: s.sessions.map((x) => ({ ...x, evidence: [...x.evidence] })), notice: s.notice ? { ...s.notice } : null },
          ]),
          nextSweep: Number.isFinite(nextSweep) ? nextSweep : null,
        };
      },
      restore(state) {
        const snap = state as Snapshot;
        for (const [p, s] of snap.states) {
          states.set(p, { uris: s.uris.map((u) => ({ ...u })), sessions: s.sessions.map((x) => ({ ...x, evidence: [...x.evidence] })), notice: s.notice ? { ...s.notice } : undefined });
        }
        nextSweep = snap.nextSweep ?? -Infinity;
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = s.uris.length + s.sessions.reduce((a, x) => a + 1 + x.evidence.length, 0) + (s.notice ? 1 : 0);
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
