/**
 * Prometheus metrics in the text exposition format (prometheus.io/docs/
 * instrumenting/exposition_formats), written by hand: a handful of counters,
 * gauges and one histogram do not justify a client library dependency.
 */

type Labels = Record<string, string>;

function labelText(l: Labels): string {
  const parts = Object.entries(l).map(([k, v]) => `${k}="${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`);
  return parts.length ? `{${parts.join(',')}}` : '';
}

class Family {
  readonly values = new Map<string, { labels: Labels; v: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
    readonly type: 'counter' | 'gauge',
  ) {}
  // Keyed by the raw label values (callers pass labels in a fixed order); escaping happens only in render.
  add(labels: Labels, d = 1): void {
    const k = Object.values(labels).join('\u0000');
    const e = this.values.get(k);
    if (e) e.v += d;
    else this.values.set(k, { labels, v: d });
  }
  /** The series of these labels, for a caller that counts it often and keeps the handle (created at 0). */
  series(labels: Labels): { v: number } {
    const k = Object.values(labels).join('\u0000');
    let e = this.values.get(k);
    if (!e) this.values.set(k, (e = { labels, v: 0 }));
    return e;
  }
  set(labels: Labels, v: number): void {
    const k = Object.values(labels).join('\u0000');
    const e = this.values.get(k);
    if (e) e.v = v;
    else this.values.set(k, { labels, v });
  }
}

// Seconds; upstream latency on loopback is sub-millisecond, remote model servers take up to seconds.
const BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

class Histogram {
  readonly series = new Map<string, { labels: Labels; counts: number[]; sum: number; n: number }>();
  constructor(
    readonly name: string,
    readonly help: string,
  ) {}
  observe(labels: Labels, seconds: number): void {
    const k = Object.values(labels).join('\u0000');
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, counts: new Array<number>(BUCKETS.length).fill(0), sum: 0, n: 0 }));
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) s.counts[i]!++;
    s.sum += seconds;
    s.n++;
  }
}

export class GatewayMetrics {
  readonly requests = new Family('mirrorwatch_gateway_requests_total', 'Inference requests by model, protocol and HTTP status', 'counter');
  readonly instances = new Family('mirrorwatch_gateway_instances_total', 'Instances forwarded upstream by model', 'counter');
  readonly rejections = new Family('mirrorwatch_gateway_rejections_total', 'Requests refused by the gateway, by reason (error code)', 'counter');
  readonly actions = new Family('mirrorwatch_gateway_risk_actions_total', 'Risk and admin containment actions', 'counter');
  readonly budgetRemaining = new Family('mirrorwatch_gateway_budget_remaining', 'Instances left in a budget (read when scraped)', 'gauge');
  readonly detectorAlerts = new Family('mirrorwatch_gateway_detector_alerts_total', 'Alerts raised by the inline detectors, by detector and severity', 'counter');
  readonly auditDropped = new Family('mirrorwatch_gateway_audit_dropped_total', 'Audit lines the disk refused', 'counter');
  readonly upstreamLatency = new Histogram('mirrorwatch_gateway_upstream_latency_seconds', 'Upstream response time (headers received)');
  /** The budget counter behind each `budgetRemaining` series, read when metrics are scraped. */
  private readonly budgets = new Map<string, { labels: Labels; key: string; limit: number }>();

  /**
   * Notes which counter a budget series reads. Reading it per request cost a counter-store call
   * per budget (a Redis round trip each); a scrape reads each series once instead.
   */
  trackBudget(labels: Labels, key: string, limit: number): void {
    const k = Object.values(labels).join('\u0000');
    const e = this.budgets.get(k);
    if (e && e.key === key && e.limit === limit) return;
    this.budgets.set(k, { labels, key, limit });
  }

  /** Sets `budgetRemaining` from the counter store; call before `render`. */
  async refreshBudgets(get: (key: string) => Promise<number>): Promise<void> {
    await Promise.all([...this.budgets.values()].map(async (b) => this.budgetRemaining.set(b.labels, Math.max(0, b.limit - (await get(b.key))))));
  }

  render(): string {
    const out: string[] = [];
    for (const f of [this.requests, this.instances, this.rejections, this.actions, this.detectorAlerts, this.budgetRemaining, this.auditDropped]) {
      out.push(`# HELP ${f.name} ${f.help}`, `# TYPE ${f.name} ${f.type}`);
      for (const { labels, v } of f.values.values()) out.push(`${f.name}${labelText(labels)} ${v}`);
    }
    const h = this.upstreamLatency;
    out.push(`# HELP ${h.name} ${h.help}`, `# TYPE ${h.name} histogram`);
    for (const s of h.series.values()) {
      BUCKETS.forEach((b, i) => out.push(`${h.name}_bucket${labelText({ ...s.labels, le: String(b) })} ${s.counts[i]}`));
      out.push(`${h.name}_bucket${labelText({ ...s.labels, le: '+Inf' })} ${s.n}`);
      out.push(`${h.name}_sum${labelText(s.labels)} ${s.sum}`, `${h.name}_count${labelText(s.labels)} ${s.n}`);
    }
    return out.join('\n') + '\n';
  }
}
