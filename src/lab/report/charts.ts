/**
 * SVG charts of a lab result, drawn server-side by Apache ECharts (SSR, SVG
 * renderer). ECharts escapes every text it writes, so policy and attack names
 * stay text. No animation, and zrender's process-wide id counters are
 * renumbered per chart, so the same result always gives the same bytes.
 */
import { BarChart, LineChart } from 'echarts/charts';
import { GridComponent, LegendComponent, MarkLineComponent, MarkPointComponent, TitleComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { SVGRenderer } from 'echarts/renderers';
import { fidelityMetric, type FidelityMetric } from './analysis.js';
import type { LabAttack, LabResult } from './schema.js';

echarts.use([LineChart, BarChart, GridComponent, LegendComponent, TitleComponent, MarkLineComponent, MarkPointComponent, SVGRenderer]);

const WIDTH = 760;
const HEIGHT = 420;

/**
 * zrender names clip paths, gradients and CSS classes `zr<painter>-...` from
 * counters shared by every chart in the process; renumber them in order of
 * first use. Only attribute values and the style block are touched (text is
 * escaped and never starts a line with '.', nor sits inside class/id/url()).
 */
function canonicalIds(svg: string): string {
  const ids = new Map<string, string>();
  return svg.replace(/(class="|id="|="url\(#|^\.)(zr\d+-[A-Za-z0-9_-]+)/gm, (_m, pre: string, id: string) => {
    let n = ids.get(id);
    if (n == null) {
      n = `mw-${ids.size}`;
      ids.set(id, n);
    }
    return pre + n;
  });
}

function render(option: echarts.EChartsCoreOption, width = WIDTH, height = HEIGHT): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  try {
    chart.setOption({ animation: false, backgroundColor: '#ffffff', ...option });
    return canonicalIds(chart.renderToSVGString());
  } finally {
    chart.dispose();
  }
}

const METRIC_LABEL: Record<FidelityMetric, string> = { r2: 'surrogate R²', agreement: 'label agreement' };

/** The curve's value at a query count: linear in log(queries) between checkpoints, flat beyond them. */
function valueAt(points: ReadonlyArray<[number, number]>, q: number): number | null {
  const first = points[0];
  const lastPoint = points.at(-1);
  if (!first || !lastPoint) return null;
  if (q <= first[0]) return first[1];
  if (q >= lastPoint[0]) return lastPoint[1];
  for (let i = 1; i < points.length; i++) {
    const [x1, y1] = points[i]!;
    const [x0, y0] = points[i - 1]!;
    if (q <= x1) return y0 + ((y1 - y0) * (Math.log(q) - Math.log(x0))) / (Math.log(x1) - Math.log(x0));
  }
  return lastPoint[1];
}

const MARKS = [
  { key: 'queries_to_first_alert', name: 'first alert', letter: 'A', symbol: 'circle' },
  { key: 'queries_to_incident', name: 'incident', letter: 'I', symbol: 'diamond' },
] as const;

/** One chart per attack on one victim: fidelity vs queries sent, one line per policy, detection points marked. */
export function fidelityChart(runs: readonly LabAttack[], metric: FidelityMetric = fidelityMetric(runs)): string {
  const head = runs[0];
  if (!head) throw new Error('fidelityChart needs at least one run');
  const xs: number[] = [];
  const series = runs.map((a) => {
    const points = a.fidelity.filter((f) => f[metric] != null && f.queries > 0).map((f): [number, number] => [f.queries, f[metric]!]);
    xs.push(...points.map((p) => p[0]));
    const markData = [];
    for (const m of MARKS) {
      const q = a[m.key];
      const y = q != null ? valueAt(points, Math.max(q, 1)) : null;
      if (q == null || y == null) continue;
      xs.push(Math.max(q, 1));
      markData.push({ name: m.name, coord: [Math.max(q, 1), y], value: m.letter, symbol: m.symbol, symbolSize: 11, label: { show: true, position: 'top' as const, formatter: m.letter } });
    }
    const block = a.queries_to_block;
    if (block != null) xs.push(Math.max(block, 1));
    return {
      name: a.policy,
      type: 'line' as const,
      data: points,
      symbolSize: 6,
      markPoint: { silent: true, data: markData },
      markLine: block == null ? undefined : { silent: true, symbol: ['none', 'none'], lineStyle: { type: 'dashed' as const }, label: { formatter: 'B' }, data: [{ name: 'block', xAxis: Math.max(block, 1) }] },
    };
  });
  const lo = xs.length ? 10 ** Math.floor(Math.log10(Math.min(...xs))) : 100;
  const hi = xs.length ? 10 ** Math.ceil(Math.log10(Math.max(...xs))) : 100000;
  return render({
    title: { text: `${head.name} on ${head.victim}`, subtext: `${METRIC_LABEL[metric]} vs queries sent · A first alert · I incident · B block (dashed)`, left: 'center' },
    legend: { bottom: 0, type: 'plain' },
    grid: { left: 64, right: 32, top: 92, bottom: 72 },
    xAxis: { type: 'log', logBase: 10, min: hi > lo ? lo : lo / 10, max: hi, name: 'queries', nameLocation: 'middle', nameGap: 26 },
    yAxis: { type: 'value', name: METRIC_LABEL[metric], min: metric === 'agreement' ? 0 : undefined, max: 1 },
    series,
  });
}

/** Membership AUC per policy, one bar per attack (and victim); 0.5 is chance. */
export function membershipChart(r: LabResult): string {
  const policies = r.policies.map((p) => p.name).filter((p) => r.membership.some((m) => m.policy === p));
  const keys: Array<{ attack: string; victim: string }> = [];
  for (const m of r.membership) if (!keys.some((k) => k.attack === m.attack && k.victim === m.victim)) keys.push({ attack: m.attack, victim: m.victim });
  const multiVictim = new Set(keys.map((k) => k.victim)).size > 1;
  const series = keys.map((k, i) => ({
    name: multiVictim ? `${k.attack} (${k.victim})` : k.attack,
    type: 'bar' as const,
    data: policies.map((p) => r.membership.find((m) => m.policy === p && m.attack === k.attack && m.victim === k.victim)?.auc ?? null),
    markLine: i === 0 ? { silent: true, symbol: ['none', 'none'], lineStyle: { type: 'dashed' as const }, label: { formatter: 'chance' }, data: [{ name: 'chance', yAxis: 0.5 }] } : undefined,
  }));
  return render({
    title: { text: 'Membership inference AUC per policy', subtext: 'training molecules vs held-out ones; 0.5 is chance', left: 'center' },
    legend: { bottom: 0 },
    grid: { left: 64, right: 72, top: 84, bottom: 96 },
    xAxis: { type: 'category', data: policies, axisLabel: { interval: 0, rotate: policies.length > 5 ? 20 : 0 } },
    yAxis: { type: 'value', name: 'AUC', min: 0, max: 1 },
    series,
  });
}

export interface ChartFile {
  /** File name (no directory), safe on every file system. */
  file: string;
  title: string;
  svg: string;
}

const slug = (s: string): string => s.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-|-$/g, '').slice(0, 40) || 'x';

/** Every chart of a result: one fidelity chart per (victim, attack) and the membership bars. */
export function labCharts(r: LabResult): ChartFile[] {
  const out: ChartFile[] = [];
  for (const v of r.victims) {
    const attacks = r.attacks.filter((a) => a.victim === v.name);
    const metric = fidelityMetric(attacks);
    const names = [...new Set(attacks.map((a) => a.name))];
    for (const n of names) {
      const runs = attacks.filter((a) => a.name === n);
      if (!runs.some((a) => a.fidelity.length)) continue;
      // The index keeps names that slug alike apart.
      out.push({ file: `fidelity-${out.length + 1}-${slug(v.name)}-${slug(n)}.svg`, title: `${n} on ${v.name}: ${METRIC_LABEL[metric]} vs queries`, svg: fidelityChart(runs, metric) });
    }
  }
  if (r.membership.length) out.push({ file: 'membership-auc.svg', title: 'Membership inference AUC per policy', svg: membershipChart(r) });
  return out;
}
