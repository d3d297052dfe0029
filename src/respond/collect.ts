/**
 * What the store knows about an incident's principal: one replay of the
 * principal's events yields the triage numbers (with the query behind each)
 * and the indicators of compromise. The incident window runs from the
 * earliest alert window start to the last update; the baseline is the
 * activity before it (at most `baselineDays`).
 */
import type { Incident } from '../correlate/index.js';
import type { Alert } from '../detect/alert.js';
import type { DirectoryEntry, ModelEntry, MwEvent } from '../events/index.js';
import type { Store } from '../store/index.js';
import type { TriageFiller } from './playbook.js';

const DAY_MS = 86_400_000;

export interface Iocs {
  principals: string[];
  /** Gateway API key ids seen in the window, and the directory's aliases (access keys, service accounts). */
  apiKeyIds: string[];
  accessKeys: string[];
  sourceIps: string[];
  userAgents: string[];
  /** Instances per UTC day in the window. */
  queryVolumes: Array<{ day: string; requests: number; instances: number }>;
  artifacts: Array<{ uri: string; model: string | null; version: string | null; bytes: number | null; first: string; last: string; count: number }>;
  objects: Array<{ provider: string; bucket: string | null; key: string; bytes: number | null; first: string; count: number }>;
  uploads: Array<{ destination: string; host: string | null; fileName: string; size: number | null; sha256: string | null; at: string }>;
  models: string[];
  window: { start: string; end: string };
}

export interface TriageResult {
  id: string;
  name: string;
  status: 'filled' | 'manual';
  /** How the numbers were obtained (store calls and their filters). */
  query: string;
  numbers: Record<string, unknown>;
  summary: string;
}

export interface Collected {
  alerts: Alert[];
  iocs: Iocs;
  directory: DirectoryEntry | null;
  models: ModelEntry[];
  events: number;
  hrActions: string[];
  fill(filler: TriageFiller): Omit<TriageResult, 'id' | 'name' | 'status'>;
}

const day = (iso: string): string => iso.slice(0, 10);
const sorted = (s: Set<string>): string[] => [...s].sort();
const round = (x: number, d = 2): number => Math.round(x * 10 ** d) / 10 ** d;

export async function collectIncident(store: Store, incident: Incident, options: { baselineDays?: number } = {}): Promise<Collected> {
  const principal = incident.principals[0]!;
  const alerts = (await store.listAlerts({ ids: incident.alerts, limit: incident.alerts.length + 1 })).rows;
  const start = alerts.reduce((m, a) => (a.window.start < m ? a.window.start : m), incident.opened_at);
  const end = incident.updated_at;
  const baselineStart = new Date(Date.parse(start) - (options.baselineDays ?? 30) * DAY_MS).toISOString();
  const directory = (await store.directory()).find((d) => d.principal === principal) ?? null;
  const inventory = await store.models();
  const incidentModels = new Set(incident.models.map((m) => m.name));

  const keys = new Set<string>();
  const ips = new Set<string>();
  const agents = new Set<string>();
  const perDay = new Map<string, { requests: number; instances: number }>();
  const baseDay = new Map<string, number>();
  const inputHashes = new Set<string>();
  const modelsQueried = new Map<string, number>();
  let winInstances = 0;
  let withConfidence = 0;
  let withExplanations = 0;
  const artifacts = new Map<string, Iocs['artifacts'][number]>();
  const objects = new Map<string, Iocs['objects'][number]>();
  const uploads: Iocs['uploads'] = [];
  const touchedModels = new Map<string, number>();
  const hrActions: string[] = [];
  let events = 0;

  for await (const e of store.replay({ principal, since: baselineStart, order: 'time' }) as AsyncIterable<MwEvent>) {
    if (e.kind === 'hr') hrActions.push(`${e.action} ${e.effectiveDate ?? day(e.time)}`);
    if (e.time < start) {
      if (e.kind === 'inference') baseDay.set(day(e.time), (baseDay.get(day(e.time)) ?? 0) + e.batchSize);
      continue;
    }
    if (e.time > end) continue;
    events++;
    if (e.sourceIp) ips.add(e.sourceIp);
    if (e.userAgent) agents.add(e.userAgent);
    if (e.kind === 'inference') {
      if (e.apiKeyId) keys.add(e.apiKeyId);
      const d = perDay.get(day(e.time)) ?? { requests: 0, instances: 0 };
      d.requests++;
      d.instances += e.batchSize;
      perDay.set(day(e.time), d);
      winInstances += e.batchSize;
      modelsQueried.set(e.model, (modelsQueried.get(e.model) ?? 0) + e.batchSize);
      for (const inst of e.instances) {
        inputHashes.add(inst.input.hash);
        if (inst.output?.confidence != null) withConfidence++;
        if (inst.output?.explanations.length) withExplanations++;
      }
    } else if (e.kind === 'registry') {
      if (e.model) touchedModels.set(e.model, (touchedModels.get(e.model) ?? 0) + 1);
      if ((e.action === 'download_artifact' || e.action === 'get_download_uri') && e.outcome !== 'failure') {
        const uri = e.artifactUri ?? `models:/${e.model ?? '?'}/${e.modelVersion ?? '?'}`;
        const a = artifacts.get(uri) ?? { uri, model: e.model, version: e.modelVersion, bytes: null, first: e.time, last: e.time, count: 0 };
        a.count++;
        a.last = e.time;
        if (e.bytes != null) a.bytes = (a.bytes ?? 0) + e.bytes;
        artifacts.set(uri, a);
      }
    } else if (e.kind === 'object') {
      if (e.operation === 'get' && e.key && e.outcome !== 'failure') {
        const k = `${e.provider}://${e.bucket ?? ''}/${e.key}`;
        const o = objects.get(k) ?? { provider: e.provider, bucket: e.bucket, key: e.key, bytes: null, first: e.time, count: 0 };
        o.count++;
        if (e.bytes != null) o.bytes = (o.bytes ?? 0) + e.bytes;
        objects.set(k, o);
      }
    } else if (e.kind === 'upload') {
      uploads.push({ destination: e.destination, host: e.destinationHost, fileName: e.fileName, size: e.size, sha256: e.sha256, at: e.time });
    }
  }

  const iocs: Iocs = {
    principals: [principal, ...(directory?.email ? [directory.email] : [])],
    apiKeyIds: sorted(keys),
    accessKeys: [...(directory?.aliases ?? [])].sort(),
    sourceIps: sorted(ips),
    userAgents: sorted(agents),
    queryVolumes: [...perDay.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([d, v]) => ({ day: d, ...v })),
    artifacts: [...artifacts.values()].sort((a, b) => (a.first < b.first ? -1 : 1)),
    objects: [...objects.values()].sort((a, b) => (a.first < b.first ? -1 : 1)),
    uploads,
    models: sorted(new Set([...incidentModels, ...modelsQueried.keys(), ...touchedModels.keys()])),
    window: { start, end },
  };

  const q = (what: string): string => `store.replay({ principal: ${JSON.stringify(principal)}, since: ${JSON.stringify(baselineStart)} }) ${what}; window ${start} .. ${end}`;
  function fill(f: TriageFiller): Omit<TriageResult, 'id' | 'name' | 'status'> {
    switch (f) {
      case 'api_volume': {
        const vols = iocs.queryVolumes.map((v) => v.instances);
        const peak = iocs.queryVolumes.reduce((m, v) => (v.instances > (m?.instances ?? -1) ? v : m), null as Iocs['queryVolumes'][number] | null);
        const baseMean = baseDay.size ? [...baseDay.values()].reduce((s, x) => s + x, 0) / baseDay.size : 0;
        const winMean = vols.length ? vols.reduce((s, x) => s + x, 0) / vols.length : 0;
        const ratio = baseMean > 0 ? round(winMean / baseMean, 1) : null;
        return {
          query: q('kinds inference: sum(batchSize) per UTC day, window days vs active baseline days'),
          numbers: { window_instances: winInstances, window_active_days: vols.length, window_mean_per_day: round(winMean), peak_day: peak?.day ?? null, peak_instances: peak?.instances ?? 0, baseline_active_days: baseDay.size, baseline_mean_per_day: round(baseMean), ratio },
          summary: vols.length
            ? `${winInstances} instances over ${vols.length} active days (mean ${round(winMean)}/day, peak ${peak?.instances ?? 0} on ${peak?.day ?? '-'}) vs baseline ${round(baseMean)}/day over ${baseDay.size} days${ratio != null ? ` (x${ratio})` : ' (no baseline)'}`
            : 'no API calls in the incident window',
        };
      }
      case 'query_patterns': {
        const distinct = inputHashes.size;
        const a = alerts.filter((x) => x.detector === 'prada' || x.detector === 'query-volume').map((x) => ({ detector: x.detector, at: x.at, observed: x.observed, baseline: x.baseline, threshold: x.threshold }));
        return {
          query: q('kinds inference: distinct input hashes / instances, outputs with confidence or explanations; plus the extraction alerts'),
          numbers: { instances: winInstances, distinct_inputs: distinct, distinct_ratio: winInstances ? round(distinct / winInstances, 3) : null, with_confidence: withConfidence, with_explanations: withExplanations, models: Object.fromEntries([...modelsQueried].sort()), extraction_alerts: a },
          summary: winInstances
            ? `${distinct} distinct inputs of ${winInstances} (${round((100 * distinct) / winInstances, 1)}%), ${withExplanations} outputs carried explanations, ${withConfidence} confidence scores; ${a.length} extraction alert(s)`
            : 'no queries in the window',
        };
      }
      case 'key_identification':
        return {
          query: q('all kinds: apiKeyId, sourceIp, userAgent; store.directory() for the principal'),
          numbers: { principal, display_name: directory?.displayName ?? null, team: directory?.team ?? null, role: directory?.role ?? null, manager: directory?.manager ?? null, api_keys: iocs.apiKeyIds, access_keys: iocs.accessKeys, source_ips: iocs.sourceIps, user_agents: iocs.userAgents },
          summary: `${principal}${directory?.displayName ? ` (${directory.displayName}, ${directory.team ?? 'no team'}, ${directory.role ?? 'no role'})` : ' (not in the directory)'}: ${iocs.apiKeyIds.length} API key(s), ${iocs.accessKeys.length} alias(es), ${iocs.sourceIps.length} source IP(s)`,
        };
      case 'download_audit': {
        const artBytes = iocs.artifacts.reduce((s, a) => s + (a.bytes ?? 0), 0);
        const objBytes = iocs.objects.reduce((s, o) => s + (o.bytes ?? 0), 0);
        const upBytes = iocs.uploads.reduce((s, u) => s + (u.size ?? 0), 0);
        return {
          query: q('kinds registry (download_artifact, get_download_uri), object (get), upload'),
          numbers: { artifact_downloads: iocs.artifacts.reduce((s, a) => s + a.count, 0), artifact_bytes: artBytes, artifacts: iocs.artifacts.map((a) => a.uri), object_gets: iocs.objects.reduce((s, o) => s + o.count, 0), object_bytes: objBytes, uploads: iocs.uploads.length, upload_bytes: upBytes, upload_hosts: sorted(new Set(iocs.uploads.map((u) => u.host ?? u.destination))) },
          summary: `${iocs.artifacts.length} artifact(s) downloaded (${artBytes} bytes), ${iocs.objects.length} object(s) read (${objBytes} bytes), ${iocs.uploads.length} upload(s) (${upBytes} bytes)`,
        };
      }
      case 'access_review': {
        const team = directory?.team ?? null;
        const touched = sorted(new Set([...modelsQueried.keys(), ...touchedModels.keys()]));
        const outside = touched.filter((m) => {
          const entry = inventory.find((x) => x.name === m);
          return entry && entry.team !== null && entry.team !== team;
        });
        return {
          query: q('kinds inference, registry: models touched; store.models() teams vs the directory team'),
          numbers: { team, models_touched: touched, outside_team: outside },
          summary: `${touched.length} model(s) touched, ${outside.length} outside the principal's team (${team ?? 'unknown'})${outside.length ? `: ${outside.join(', ')}` : ''}`,
        };
      }
      case 'model_inventory': {
        const rows = incident.models.map((m) => {
          const entry = inventory.find((x) => x.name === m.name);
          return { name: m.name, classification: m.classification, estimated_value: m.estimated_value, team: m.team, artifact_location: entry?.artifactLocation ?? null, latest_version: entry?.latestVersion ?? null, in_inventory: !!entry };
        });
        const value = rows.reduce((s, r) => s + (r.estimated_value ?? 0), 0);
        return {
          query: 'incident.models joined with store.models() (the model inventory)',
          numbers: { models: rows, total_estimated_value: value, missing_from_inventory: rows.filter((r) => !r.in_inventory).map((r) => r.name) },
          summary: `${rows.length} model(s), estimated value ${value}; ${rows.filter((r) => !r.in_inventory).length} missing from the inventory`,
        };
      }
    }
  }
  return { alerts, iocs, directory, models: inventory, events, hrActions, fill };
}
