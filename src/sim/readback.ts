/**
 * Reads a simulator output directory back, independently of the product's
 * parsers: the simulator's tests use it to check that the logs say what
 * truth.json says, and it documents the formats by example.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'csv-parse/sync';
import type { Truth } from './engine.js';

export function lines(dir: string, file: string): string[] {
  const text = readFileSync(join(dir, file), 'utf8');
  const out = text.split('\n');
  if (out[out.length - 1] === '') out.pop();
  return out;
}

export function readTruth(dir: string): Truth {
  return JSON.parse(readFileSync(join(dir, 'truth.json'), 'utf8')) as Truth;
}

export interface DirectoryRow {
  principal: string;
  email: string;
  display_name: string;
  team: string;
  projects: string;
  role: string;
  manager: string;
  aliases: string;
}

export function readDirectory(dir: string): DirectoryRow[] {
  return parse(readFileSync(join(dir, 'directory.csv'), 'utf8'), { columns: true }) as DirectoryRow[];
}

export interface Prediction {
  /** Principal (directory name) the log attributes the call to. */
  who: string;
  time: string;
  model: string;
  smiles: string[];
  ip: string;
  apiKey: string;
  status: number | null;
  file: string;
  line: number;
}

/** Every prediction request in MLPlatformLogs.jsonl and kserve-cloudevents.jsonl (requests only). */
export function readPredictions(dir: string): Prediction[] {
  const byEmail = new Map(readDirectory(dir).map((r) => [r.email, r.principal]));
  const out: Prediction[] = [];
  const smilesOf = (items: unknown[]): string[] =>
    items.filter((x): x is { smiles: string } => typeof x === 'object' && x !== null && typeof (x as { smiles?: unknown }).smiles === 'string').map((x) => x.smiles);
  lines(dir, 'MLPlatformLogs.jsonl').forEach((l, i) => {
    const o = JSON.parse(l) as { EventType: string; UserId: string; TimeGenerated: string; ModelName: string; InputData: string; Details: { source_ip: string; api_key_id: string; status: number } };
    if (o.EventType !== 'prediction_request') return;
    const body = JSON.parse(o.InputData) as { data?: { ndarray: unknown[] }; instances?: unknown[] };
    out.push({
      who: byEmail.get(o.UserId) ?? o.UserId,
      time: o.TimeGenerated,
      model: o.ModelName,
      smiles: smilesOf(body.data?.ndarray ?? body.instances ?? []),
      ip: o.Details.source_ip,
      apiKey: o.Details.api_key_id,
      status: o.Details.status,
      file: 'MLPlatformLogs.jsonl',
      line: i + 1,
    });
  });
  lines(dir, 'kserve-cloudevents.jsonl').forEach((l, i) => {
    const o = JSON.parse(l) as { type: string; userid: string; time: string; inferenceservicename: string; sourceip: string; apikeyid: string; data: { data?: { ndarray: unknown[] }; instances?: unknown[] } };
    if (!o.type.endsWith('.request')) return;
    out.push({
      who: o.userid,
      time: o.time,
      model: o.inferenceservicename,
      smiles: smilesOf(o.data.data?.ndarray ?? o.data.instances ?? []),
      ip: o.sourceip,
      apiKey: o.apikeyid,
      status: null,
      file: 'kserve-cloudevents.jsonl',
      line: i + 1,
    });
  });
  return out;
}

export interface Upload {
  who: string;
  time: string;
  destination: string;
  name: string;
  size: number;
  entropy: number;
}

export function readUploads(dir: string): Upload[] {
  const byEmail = new Map(readDirectory(dir).map((r) => [r.email, r.principal]));
  return lines(dir, 'DLPLogs.jsonl').map((l) => {
    const o = JSON.parse(l) as { UserId: string; TimeGenerated: string; Destination: string; FileDetails: { name: string; size: number; entropy: number } };
    return { who: byEmail.get(o.UserId) ?? o.UserId, time: o.TimeGenerated, destination: o.Destination, name: o.FileDetails.name, size: o.FileDetails.size, entropy: o.FileDetails.entropy };
  });
}

/** gunicorn access lines: host, user, ISO time, method, path, status, bytes. */
export function readMlflow(dir: string): Array<{ ip: string; user: string; time: string; method: string; path: string; status: number; bytes: number }> {
  const MON: Record<string, string> = { Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06', Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12' };
  return lines(dir, 'mlflow-access.log').map((l) => {
    const m = /^(\S+) - (\S+) \[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2}) \+0000\] "(\w+) (\S+) HTTP\/1\.1" (\d{3}) (\d+) "[^"]*" "[^"]*"$/.exec(l);
    if (!m) throw new Error(`not a gunicorn access line: ${l}`);
    return { ip: m[1]!, user: m[2]!, time: `${m[5]}-${MON[m[4]!]}-${m[3]}T${m[6]}Z`, method: m[7]!, path: m[8]!, status: Number(m[9]), bytes: Number(m[10]) };
  });
}

export interface MinioRecord {
  time: string;
  api: { name: string; bucket?: string; object?: string; statusCode: number; rx: number; tx: number };
  remotehost: string;
  accessKey: string;
  requestQuery?: Record<string, string>;
}

export function readMinio(dir: string): MinioRecord[] {
  return lines(dir, 'minio-audit.jsonl').map((l) => JSON.parse(l) as MinioRecord);
}
