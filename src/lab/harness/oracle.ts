/**
 * The attacker's (and the researchers') side of the wire: batches of
 * molecules sent to the gateway over loopback HTTP with the principal's own
 * API key, KServe V1 bodies, at a pace in virtual time. What comes back is
 * read the way a real client reads it, after the gateway's output policy:
 * fields may be missing, rounded or perturbed, and refusals are honoured (a
 * rate limit is waited out, a daily budget waits for the next day, a block or
 * an exhausted lifetime budget ends the attack).
 */
import { request, type Agent } from 'undici';
import type { ClassificationAnswer, Molecule, Oracle, RegressionAnswer } from '../types.js';
import { nextHour, type Timeline } from './timeline.js';

export type Task = 'regression' | 'classification';

export interface HttpOracleOptions {
  base: string;
  key: string;
  model: string;
  task: Task;
  timeline: Timeline;
  /** Virtual time between two requests of this client. */
  paceMs: number;
  /** Instances per request (at most the role's batch cap). */
  batchSize: number;
  agent: Agent;
  /** After every request: instances sent so far (refused ones included) and the HTTP status. */
  onRequest?: (sent: number, status: number) => void;
  /** Days a client waits out a daily budget before giving up. */
  maxBudgetWaitDays?: number;
}

export interface HttpOracle<A> extends Oracle<A> {
  /** Instances sent, answered or not. */
  readonly sent: number;
  /** Refusal codes seen, with counts. */
  readonly refusals: Readonly<Record<string, number>>;
  /** The error code that ended the attack, if one did. */
  readonly stopCode: string | null;
}

interface ErrorBody {
  error?: { code?: string; retry_after_ms?: number; budget?: string };
}

/** Reads one hardened KServe item. Exported for tests. */
export function readRegression(item: unknown): RegressionAnswer | null {
  if (!item || typeof item !== 'object') return typeof item === 'number' ? { prediction: item } : null;
  const o = item as Record<string, unknown>;
  if (typeof o['prediction'] !== 'number') return null;
  const a: RegressionAnswer = { prediction: o['prediction'] };
  if (typeof o['confidence'] === 'number') a.confidence = o['confidence'];
  const iv = o['prediction_interval'];
  if (Array.isArray(iv) && iv.length === 2 && typeof iv[0] === 'number' && typeof iv[1] === 'number') a.interval = [iv[0], iv[1]];
  return a;
}

export function readClassification(item: unknown): ClassificationAnswer | null {
  if (!item || typeof item !== 'object') return null;
  const rows = (item as Record<string, unknown>)['probabilities'];
  if (!Array.isArray(rows)) return null;
  const probabilities: number[] = [];
  const labels: Array<0 | 1> = [];
  let oneHot = true;
  for (const r of rows) {
    if (!Array.isArray(r) || r.length !== 2 || typeof r[0] !== 'number' || typeof r[1] !== 'number') return null;
    probabilities.push(r[1]);
    labels.push(r[1] > r[0] ? 1 : 0);
    if (!((r[0] === 0 && r[1] === 1) || (r[0] === 1 && r[1] === 0))) oneHot = false;
  }
  // A top-1 policy returns one-hot rows: what the client has then is labels, not probabilities.
  return oneHot ? { labels } : { probabilities, labels };
}

export function createHttpOracle<A extends RegressionAnswer | ClassificationAnswer>(o: HttpOracleOptions): HttpOracle<A> {
  let sent = 0;
  let answered = 0;
  let stopped = false;
  let stopCode: string | null = null;
  const refusals: Record<string, number> = {};
  const read = (o.task === 'regression' ? readRegression : readClassification) as (x: unknown) => A | null;
  const maxWaitDays = o.maxBudgetWaitDays ?? 30;

  async function send(chunk: readonly Molecule[]): Promise<Array<A | null>> {
    let waitedDays = 0;
    for (let attempt = 0; ; attempt++) {
      await o.timeline.advanceBy(o.paceMs);
      const r = await request(`${o.base}/v1/models/${encodeURIComponent(o.model)}:predict`, {
        method: 'POST',
        headers: { authorization: `Bearer ${o.key}`, 'content-type': 'application/json' },
        body: JSON.stringify({ instances: chunk.map((m) => ({ smiles: m.smiles })) }),
        dispatcher: o.agent,
        // One connection per request: surrogate training blocks this process (gateway included) for seconds, after
        // which the server's idle timeout and the client's reuse of the same socket would race.
        reset: true,
      });
      const text = await r.body.text();
      if (attempt === 0) sent += chunk.length;
      o.onRequest?.(sent, r.statusCode);
      if (r.statusCode === 200) {
        const body = JSON.parse(text) as { predictions?: unknown[] };
        const preds = Array.isArray(body.predictions) ? body.predictions : [];
        const out = chunk.map((_, i) => read(preds[i]));
        answered += out.filter((x) => x !== null).length;
        return out;
      }
      let err: ErrorBody = {};
      try {
        err = JSON.parse(text) as ErrorBody;
      } catch {
        /* a non-JSON refusal is still a refusal */
      }
      const code = err.error?.code ?? `HTTP_${r.statusCode}`;
      refusals[code] = (refusals[code] ?? 0) + 1;
      if (code === 'MW_ERR_GW_RATE_LIMITED' && attempt < 10_000) {
        await o.timeline.advanceBy(Math.max(1000, err.error?.retry_after_ms ?? 1000));
        continue;
      }
      if (code === 'MW_ERR_GW_BUDGET_EXHAUSTED' && err.error?.budget === 'daily' && waitedDays < maxWaitDays) {
        // A patient attacker comes back the next working morning.
        waitedDays++;
        await o.timeline.advanceTo(nextHour(o.timeline.t + 1, 9));
        continue;
      }
      if (r.statusCode >= 500) throw new Error(`gateway answered ${r.statusCode} ${code} for ${o.model}: ${text.slice(0, 200)}`);
      stopped = true;
      stopCode = code;
      return chunk.map(() => null);
    }
  }

  return {
    async ask(batch) {
      const out: Array<A | null> = [];
      for (let i = 0; i < batch.length; i += o.batchSize) {
        const chunk = batch.slice(i, i + o.batchSize);
        if (stopped) {
          out.push(...chunk.map(() => null));
          continue;
        }
        out.push(...(await send(chunk)));
      }
      return out;
    },
    get stopped() {
      return stopped;
    },
    get answered() {
      return answered;
    },
    get sent() {
      return sent;
    },
    get refusals() {
      return refusals;
    },
    get stopCode() {
      return stopCode;
    },
  };
}

