/**
 * Charts with Apache ECharts (tree-shaken). Tooltips render as rich text on
 * the canvas, never as HTML, so names from logs cannot become markup.
 */
import { BarChart, LineChart, ScatterChart } from 'echarts/charts';
import { DataZoomComponent, GridComponent, LegendComponent, MarkAreaComponent, TooltipComponent } from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([BarChart, LineChart, ScatterChart, GridComponent, TooltipComponent, LegendComponent, MarkAreaComponent, DataZoomComponent, CanvasRenderer]);

const SEV_COLORS: Record<string, string> = { low: '#8aa4c8', medium: '#e0b341', high: '#e07b39', critical: '#c9302c' };

function mount(el: HTMLElement): echarts.ECharts {
  const chart = echarts.init(el, undefined, { renderer: 'canvas' });
  new ResizeObserver(() => chart.resize()).observe(el);
  return chart;
}

const base = {
  animation: false,
  tooltip: { trigger: 'axis' as const, renderMode: 'richText' as const },
  legend: { top: 0 },
  grid: { left: 56, right: 24, top: 36, bottom: 48 },
};

export function alertsPerDayChart(el: HTMLElement, rows: Array<Record<string, number | string>>): void {
  mount(el).setOption({
    ...base,
    xAxis: { type: 'category', data: rows.map((r) => r['day']) },
    yAxis: { type: 'value', name: 'alerts' },
    series: ['low', 'medium', 'high', 'critical'].map((s) => ({ name: s, type: 'bar', stack: 'sev', data: rows.map((r) => r[s] ?? 0), itemStyle: { color: SEV_COLORS[s] } })),
  });
}

export interface DailyPoint {
  day: string;
  instances: number;
  baselineMedian: number | null;
  baselineHigh: number | null;
  distinctInputs: number;
}

/** Daily queries against the principal's own band; the HR window shaded when the viewer may see it. */
export function dailyBaselineChart(el: HTMLElement, daily: DailyPoint[], hrWindow: { start: string; end: string | null } | null): void {
  const days = daily.map((d) => d.day);
  const markArea = hrWindow
    ? {
        silent: true,
        itemStyle: { color: 'rgba(201,48,44,0.10)' },
        label: { show: true, position: 'insideTop' as const, formatter: 'notice period' },
        data: [[{ xAxis: nearestDay(days, hrWindow.start.slice(0, 10)) }, { xAxis: nearestDay(days, (hrWindow.end ?? days[days.length - 1] ?? '').slice(0, 10)) }]],
      }
    : undefined;
  mount(el).setOption({
    ...base,
    xAxis: { type: 'category', data: days },
    yAxis: { type: 'value', name: 'instances / day' },
    legend: { top: 0, data: ['baseline band', 'instances', 'distinct inputs'] },
    dataZoom: [{ type: 'inside' }, { type: 'slider', height: 18, bottom: 8 }],
    series: [
      { name: 'band floor', type: 'line', stack: 'band', symbol: 'none', lineStyle: { opacity: 0 }, data: daily.map((d) => d.baselineMedian), tooltip: { show: false } },
      {
        name: 'baseline band',
        type: 'line',
        stack: 'band',
        symbol: 'none',
        lineStyle: { opacity: 0 },
        areaStyle: { color: 'rgba(70,130,180,0.25)' },
        data: daily.map((d) => (d.baselineHigh != null && d.baselineMedian != null ? d.baselineHigh - d.baselineMedian : null)),
      },
      { name: 'instances', type: 'line', symbolSize: 5, data: daily.map((d) => d.instances), itemStyle: { color: '#333' }, ...(markArea ? { markArea } : {}) },
      { name: 'distinct inputs', type: 'line', symbol: 'none', lineStyle: { type: 'dashed' }, data: daily.map((d) => d.distinctInputs) },
    ],
  });
}

function nearestDay(days: string[], day: string): string {
  return days.find((d) => d >= day) ?? days[days.length - 1] ?? day;
}

/** The incident timeline: one row per detector, a point per alert at its event time. */
export function timelineChart(el: HTMLElement, items: Array<{ at: string; detector: string; severity: string }>): void {
  const detectors = [...new Set(items.map((i) => i.detector))];
  mount(el).setOption({
    ...base,
    tooltip: { trigger: 'item', renderMode: 'richText' },
    grid: { left: 120, right: 24, top: 36, bottom: 48 },
    xAxis: { type: 'time' },
    yAxis: { type: 'category', data: detectors },
    series: ['low', 'medium', 'high', 'critical'].map((s) => ({
      name: s,
      type: 'scatter',
      symbolSize: 12,
      itemStyle: { color: SEV_COLORS[s] },
      data: items.filter((i) => i.severity === s).map((i) => [i.at, i.detector]),
    })),
  });
}

/** The principal's molecules against their team's, on the first two principal components of their fingerprints. */
export function chemMapChart(el: HTMLElement, points: Array<{ x: number; y: number; group: string; smiles: string }>, explained: [number, number]): void {
  mount(el).setOption({
    ...base,
    tooltip: { trigger: 'item', renderMode: 'richText', formatter: (p: { data: [number, number, string] }) => p.data[2] },
    xAxis: { type: 'value', name: `PC1 (${Math.round(explained[0] * 100)}%)`, scale: true },
    yAxis: { type: 'value', name: `PC2 (${Math.round(explained[1] * 100)}%)`, scale: true },
    series: [
      { name: 'team', type: 'scatter', symbolSize: 5, itemStyle: { color: 'rgba(120,130,140,0.45)' }, data: points.filter((p) => p.group === 'team').map((p) => [p.x, p.y, p.smiles]) },
      { name: 'this principal', type: 'scatter', symbolSize: 6, itemStyle: { color: '#c9302c' }, data: points.filter((p) => p.group === 'principal').map((p) => [p.x, p.y, p.smiles]) },
    ],
  });
}

/** Focus (similarity to their own earlier queries) and diversity per day. */
export function focusChart(el: HTMLElement, days: Array<{ day: string; focus: number | null; diversity: number | null }>, hrWindow: { start: string; end: string | null } | null): void {
  const labels = days.map((d) => d.day);
  const markArea = hrWindow
    ? { silent: true, itemStyle: { color: 'rgba(201,48,44,0.10)' }, data: [[{ xAxis: nearestDay(labels, hrWindow.start.slice(0, 10)) }, { xAxis: nearestDay(labels, (hrWindow.end ?? labels[labels.length - 1] ?? '').slice(0, 10)) }]] }
    : undefined;
  mount(el).setOption({
    ...base,
    xAxis: { type: 'category', data: labels },
    yAxis: { type: 'value', min: 0, max: 1, name: 'Tanimoto' },
    series: [
      { name: 'focus', type: 'line', data: days.map((d) => d.focus), connectNulls: false, ...(markArea ? { markArea } : {}) },
      { name: 'diversity', type: 'line', data: days.map((d) => d.diversity), lineStyle: { type: 'dashed' } },
    ],
  });
}

/** Events per source format per hour of event time: a silent source shows as a gap. */
export function ingestChart(el: HTMLElement, rows: Array<{ hour: string; format: string; events: number }>): void {
  const hours = [...new Set(rows.map((r) => r.hour))].sort();
  const formats = [...new Set(rows.map((r) => r.format))].sort();
  const at = new Map(rows.map((r) => [`${r.hour}|${r.format}`, r.events]));
  mount(el).setOption({
    ...base,
    xAxis: { type: 'category', data: hours.map((h) => h.slice(5, 13).replace('T', ' ')) },
    yAxis: { type: 'value', name: 'events / hour' },
    series: formats.map((f) => ({ name: f, type: 'bar', stack: 'src', data: hours.map((h) => at.get(`${h}|${f}`) ?? 0) })),
  });
}
