/**
 * Event builders and a synthetic stream for detector tests. Not shipped
 * behaviour: tests import it, the engine never does.
 */
import { createHash } from 'node:crypto';
import type {
  DirectoryEntry,
  HrEvent,
  InferenceEvent,
  ModelEntry,
  MwEvent,
  ObjectEvent,
  RegistryEvent,
  UploadEvent,
} from '../events/index.js';
import { buildContext } from './types.js';
import type { DetectionContext } from './types.js';
import { mulberry32 } from '../util/prng.js';
import type { Store } from '../store/index.js';

let counter = 0;
function nextId(): string {
  return createHash('sha256').update(`mw-test-${counter++}`).digest('hex').slice(0, 32);
}

function base(principal: string, time: string | number) {
  const t = typeof time === 'number' ? new Date(time).toISOString() : time;
  return {
    id: nextId(),
    time: t,
    principal: { raw: principal, canonical: principal },
    provenance: { format: 'test', file: 'test', line: 1, offset: 0, recordHash: '0'.repeat(64) },
    sourceIp: null,
    userAgent: null,
    context: null,
  };
}

export function inference(principal: string, time: string | number, batch = 100, model = 'binding-affinity-predictor', smiles: string[] = []): InferenceEvent {
  return {
    ...base(principal, time),
    kind: 'inference',
    model,
    modelVersion: '1',
    endpoint: null,
    apiKeyId: null,
    protocol: 'seldon-v1',
    batchSize: batch,
    instances: smiles.map((s, i) => ({
      input: { type: 'smiles', smiles: s, canonical: s, hash: `h${i}` },
      output: null,
    })),
    outcome: 'success',
    httpStatus: 200,
    latencyMs: 10,
    bytesIn: 100,
    bytesOut: 100,
  };
}

export function registry(principal: string, time: string | number, action: RegistryEvent['action'], model: string | null = null, bytes: number | null = null, artifactUri: string | null = null): RegistryEvent {
  return { ...base(principal, time), kind: 'registry', action, model, modelVersion: null, artifactUri, bytes, outcome: 'success', httpStatus: 200, operation: null };
}

export function object(principal: string, time: string | number, operation: ObjectEvent['operation'], bucket: string, key: string, bytes: number | null = null): ObjectEvent {
  return {
    ...base(principal, time),
    kind: 'object',
    provider: 'minio',
    bucket,
    key,
    operation,
    operationRaw: operation,
    bytes,
    httpStatus: 200,
    outcome: 'success',
    requestId: null,
  };
}

export function upload(principal: string, time: string | number, destinationHost: string, fileName: string, size: number, entropy: number | null = null): UploadEvent {
  return {
    ...base(principal, time),
    kind: 'upload',
    action: 'upload',
    destination: destinationHost,
    destinationHost,
    fileName,
    size,
    sha256: null,
    entropy,
  };
}

export function hr(principal: string, time: string | number, action: HrEvent['action'], effectiveDate: string | null, lastWorkingDay: string | null = null): HrEvent {
  return { ...base(principal, time), kind: 'hr', action, effectiveDate, lastWorkingDay, details: {} };
}

export function person(principal: string, team: string, projects: string[], role = 'data_scientist'): DirectoryEntry {
  return { principal, email: `${principal}@acme.example`, displayName: principal, team, projects, role, manager: null, aliases: [] };
}

export function model(name: string, team: string, project: string, classification: ModelEntry['classification'] = 'TRADE_SECRET', value = 10_000_000): ModelEntry {
  return {
    name,
    team,
    classification,
    estimatedValue: value,
    artifactLocation: `s3://models/${name}/`,
    architecture: null,
    latestVersion: '1',
    tags: { project },
  };
}

/**
 * A cheap stand-in for Morgan fingerprints in tests: character 3-grams hashed
 * into 2048 bits. Similar strings get similar bit sets, which is all the
 * detectors' contract needs; chemistry tests use RDKit itself.
 */
export function hashedFingerprint(s: string): Uint8Array {
  const out = new Uint8Array(256);
  for (let i = 0; i + 3 <= s.length; i++) {
    let h = 2166136261;
    for (let j = i; j < i + 3; j++) h = Math.imul(h ^ s.charCodeAt(j), 16777619);
    const bit = (h >>> 0) % 2048;
    out[bit >> 3]! |= 1 << (bit & 7);
  }
  return out;
}

/** The test organisation's compound library (reference set `library`): distinct, drug-sized strings. */
export const LIBRARY: readonly string[] = Array.from({ length: 600 }, (_, i) => `O=C(NC${'C'.repeat(i % 7)}N${i})c1ccc(Cl)cc1`);

/** Single functional groups, as isolated-fragment probes send them. */
export const FRAGMENTS: readonly string[] = ['CC(=O)O', 'CN', 'CNC', 'CO', 'CC#N', 'CF', 'CCl', 'c1ccncc1', 'CC(N)=O'];

/** Gives every instance of a request a model answer with a confidence and an interval. */
export function answered(e: InferenceEvent, confidence: (i: number) => number = () => 0.8): InferenceEvent {
  return {
    ...e,
    instances: e.instances.map((inst, i) => ({ ...inst, output: { prediction: 6, confidence: confidence(i), intervalWidth: 1.5, explanations: ['attention_weights', 'prediction_interval'] } })),
  };
}

/** A small organisation: two teams, four models. */
export function testOrg(): { directory: DirectoryEntry[]; models: ModelEntry[] } {
  return {
    directory: [
      person('alice', 'comp-chem', ['binding-affinity']),
      person('bob', 'comp-chem', ['binding-affinity', 'predictive-safety']),
      person('carol', 'drug-discovery', ['kinase']),
      person('dave', 'drug-discovery', ['kinase']),
      person('erin', 'drug-discovery', ['kinase']),
      person('frank', 'comp-chem', ['predictive-safety']),
    ],
    models: [
      model('binding-affinity-predictor', 'comp-chem', 'binding-affinity'),
      model('toxicity-classifier', 'comp-chem', 'predictive-safety'),
      model('kinase-selectivity', 'drug-discovery', 'kinase', 'CONFIDENTIAL', 2_000_000),
      model('admet-predictor', 'comp-chem', 'admet-platform'),
    ],
  };
}

/** The test organisation as a store's reference data. */
export async function putTestOrg(store: Pick<Store, 'putReference'>): Promise<void> {
  await store.putReference('directory', 'default', testOrg().directory.map((entry) => ({ kind: 'directory', entry })), 'directory.csv');
  await store.putReference('models', 'default', testOrg().models.map((entry) => ({ kind: 'models', entry })), 'models.json');
}

/** The test organisation with its compound library (set `library`) and hashed fingerprints. */
export function testContext(): DetectionContext {
  return buildContext({
    fingerprint: hashedFingerprint,
    compounds: LIBRARY.map((smiles, i) => ({ smiles, canonical: smiles, id: `CPD-${i}`, set: 'library' })),
    ...testOrg(),
  });
}

/** Deterministic PRNG (mulberry32) so synthetic streams are reproducible. */
export const rng = mulberry32;

export const DAY = 86_400_000;
export const T0 = Date.parse('2026-02-02T00:00:00Z');

/**
 * A long mixed stream in event-time order: benign habits for several
 * principals over `days`, and one principal (alice) who resigns and then
 * does everything the detectors look for. Every detector fires on it.
 */
export function syntheticStream(options: { days?: number; seed?: number; extraPrincipals?: number } = {}): MwEvent[] {
  const days = options.days ?? 60;
  const r = rng(options.seed ?? 1);
  const benign = ['bob', 'carol', 'dave', 'erin', 'frank', ...Array.from({ length: options.extraPrincipals ?? 0 }, (_, i) => `user${i}`)];
  const out: MwEvent[] = [];
  const attackDay = Math.floor(days / 2);
  // Molecules come from their own generator so adding them leaves the other draws unchanged.
  const m = rng((options.seed ?? 1) + 1000);
  const ALPHABET = 'CCCCNOc1()=F';
  const randomSmiles = (len: number) => Array.from({ length: len }, () => ALPHABET[Math.floor(m() * ALPHABET.length)]).join('');
  const focus = new Map<string, string>();
  const focused = (p: string, n: number) => {
    let base = focus.get(p);
    if (!base) focus.set(p, (base = randomSmiles(24)));
    return Array.from({ length: n }, () => base + randomSmiles(4));
  };
  const seeds = Array.from({ length: 6 }, () => randomSmiles(26));
  const extraction = (n: number) =>
    Array.from({ length: n }, () => {
      // Perturbation series around a few seeds, mixed with far-flung random probes.
      if (m() < 0.5) return randomSmiles(26);
      const s = seeds[Math.floor(m() * seeds.length)]!;
      const i = Math.floor(m() * s.length);
      return s.slice(0, i) + ALPHABET[Math.floor(m() * ALPHABET.length)] + s.slice(i + 1);
    });
  for (let d = 0; d < days; d++) {
    const day = T0 + d * DAY;
    const weekend = [0, 6].includes(new Date(day).getUTCDay());
    for (const p of ['alice', ...benign]) {
      if (weekend && r() < 0.8) continue;
      const n = 3 + Math.floor(r() * 5);
      for (let i = 0; i < n; i++) out.push(inference(p, day + 9 * 3_600_000 + Math.floor(r() * 8 * 3_600_000), 20 + Math.floor(r() * 60), undefined, focused(p, 3)));
      if (r() < 0.3) out.push(registry(p, day + 10 * 3_600_000 + Math.floor(r() * 3_600_000), 'search_models'));
      if (r() < 0.2) out.push(registry(p, day + 11 * 3_600_000 + Math.floor(r() * 3_600_000), 'get_model', 'binding-affinity-predictor'));
      if (r() < 0.1) out.push(upload(p, day + 15 * 3_600_000 + Math.floor(r() * 3_600_000), 'acme.sharepoint.com', `notes-${d}.docx`, 200_000 + Math.floor(r() * 50_000), 5.1));
    }
    if (d === attackDay - 3) out.push(hr('alice', day + 13 * 3_600_000, 'resignation_submitted', new Date(day).toISOString().slice(0, 10), new Date(day + 30 * DAY).toISOString().slice(0, 10)));
    if (d === attackDay) {
      const t = day + 8 * 3_600_000;
      out.push(registry('alice', t, 'list_models'), registry('alice', t + 60_000, 'list_endpoints'));
      for (let i = 0; i < 8; i++) out.push(object('alice', t + 120_000 + i * 1000, 'list', 'models', `m${i}/`));
      for (let i = 0; i < 6; i++) out.push(registry('alice', t + 200_000 + i * 1000, 'get_model', ['toxicity-classifier', 'admet-predictor', 'kinase-selectivity'][i % 3]!));
      for (let i = 0; i < 40; i++) out.push(inference('alice', t + 3_600_000 + i * 60_000, 100, 'toxicity-classifier', extraction(30)));
    }
    if (d === attackDay + 1) {
      const t = day + 9 * 3_600_000;
      out.push(registry('alice', t, 'get_download_uri', 'toxicity-classifier'));
      out.push(object('alice', t + 5000, 'get', 'models', 'toxicity-classifier/8/MLmodel', 800));
      out.push(object('alice', t + 6000, 'get', 'models', 'toxicity-classifier/8/data/model.pth', 860_000_000));
      out.push(registry('alice', t + 3_600_000, 'download_artifact', 'kinase-selectivity', 300_000_000));
    }
    if (d >= attackDay + 2 && d < attackDay + 6) {
      for (let i = 0; i < 5; i++) {
        const part = (d - attackDay - 2) * 5 + i;
        out.push(upload('alice', day + 17 * 3_600_000 + i * 90_000, 'onedrive.live.com', `research_notes_a${String.fromCharCode(97 + part)}`, 26_214_400, 7.99));
      }
    }
    if (d >= attackDay + 6 && d < attackDay + 12) {
      // A long tail of chunks so the run outlives its window and cumulative bytes reach the pulls.
      for (let i = 0; i < 6; i++) out.push(upload('alice', day + 17 * 3_600_000 + i * 60_000, 'onedrive.live.com', `research_notes_b${String.fromCharCode(97 + (d - attackDay - 6) * 6 + i)}`, 26_214_400, 7.99));
    }
  }
  // Source addresses, a library walk, probe requests and borrowed keys for the side-channel,
  // membership and collusion detectors; their own generator keeps the draws above unchanged.
  const x = rng((options.seed ?? 1) + 2000);
  const people = ['alice', ...benign];
  const ipOf = (p: string) => `10.1.0.${10 + people.indexOf(p)}`;
  for (const e of out) if (e.kind === 'inference') e.sourceIp = ipOf(e.principal.canonical);
  if (attackDay + 2 < days) {
    const t = T0 + (attackDay + 1) * DAY + 13 * 3_600_000;
    for (let b = 0; b < 3; b++) out.push({ ...answered(inference('alice', t + b * 600_000, 100, undefined, LIBRARY.slice(b * 100, b * 100 + 100))), sourceIp: ipOf('alice') });
    for (let b = 0; b < 3; b++) {
      const seed = Array.from({ length: 30 }, () => ALPHABET[Math.floor(x() * ALPHABET.length)]).join('');
      const series = [seed, ...Array.from({ length: 8 }, (_, i) => seed.slice(0, 3 * i + 2) + (seed[3 * i + 2] === 'N' ? 'O' : 'N') + seed.slice(3 * i + 3))];
      out.push({ ...inference('alice', t + 3_600_000 + b * 300_000, series.length, undefined, series), sourceIp: ipOf('alice') });
    }
    out.push({ ...inference('alice', t + 2 * 3_600_000, FRAGMENTS.length, undefined, [...FRAGMENTS]), sourceIp: ipOf('alice') });
    // Bob's and dave's keys used from alice's workstation, between her own requests.
    for (let i = 0; i < 6; i++) {
      for (const [k, who] of ['alice', 'bob', 'dave'].entries()) {
        out.push({ ...inference(who, t + 3 * 3_600_000 + i * 600_000 + k * 60_000 + Math.floor(x() * 30_000), 50, undefined, focused('alice', 2)), sourceIp: ipOf('alice') });
      }
    }
  }
  // Event-time order, ties by id: the order a store replay delivers.
  return out.sort((a, b) => (a.time < b.time ? -1 : a.time > b.time ? 1 : a.id < b.id ? -1 : 1));
}

/** Arrival order with bounded disorder: each event delayed by up to `maxDelayMs`, stable per seed. */
export function jitter<T extends { time: string }>(events: readonly T[], maxDelayMs: number, seed = 7): T[] {
  const r = rng(seed);
  return events
    .map((e, i) => ({ e, key: Date.parse(e.time) + Math.floor(r() * maxDelayMs), i }))
    .sort((a, b) => a.key - b.key || a.i - b.i)
    .map((x) => x.e);
}

/** Splits into chunks of pseudo-random sizes (1..maxChunk). */
export function chunks<T>(xs: readonly T[], maxChunk: number, seed = 3): T[][] {
  const r = rng(seed);
  const out: T[][] = [];
  for (let i = 0; i < xs.length; ) {
    const n = 1 + Math.floor(r() * maxChunk);
    out.push(xs.slice(i, i + n));
    i += n;
  }
  return out;
}
