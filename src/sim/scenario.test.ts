/**
 * The simulator end to end: determinism, truth.json against the logs, every
 * variant on several seeds, and the decoys behaving as labelled. Runs are
 * small (scale 0.1, shrunk attack volumes where the check allows) except one
 * run of the defaults.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PHASES, TECHNIQUES, simulate } from './index.js';
import type { PhaseId, SimulationSummary, TraceRecord, Truth, Variant } from './index.js';
import { lines, readDirectory, readMinio, readMlflow, readPredictions, readTruth, readUploads } from './readback.js';
import { loadPool } from './pool.js';

const DAY = 86_400_000;
const FAST = { attack: { extraction: { molecules: [4000, 6000] }, membershipInference: { queries: [2000, 3000] } } };

function tmp(): string {
  return mkdtempSync(join(tmpdir(), 'mw-sim-'));
}

function hashDir(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of readdirSync(dir).sort()) out[f] = createHash('sha256').update(readFileSync(join(dir, f))).digest('hex');
  return out;
}

interface Run {
  dir: string;
  summary: SimulationSummary;
  truth: Truth;
  traces: TraceRecord[];
}

async function run(seed: number, variant: Variant, extra: { days?: number; scale?: number; config?: Record<string, unknown> } = {}): Promise<Run> {
  const dir = tmp();
  const traces: TraceRecord[] = [];
  const summary = await simulate({ seed, out: dir, variant, days: extra.days ?? 90, scale: extra.scale ?? 0.1, config: extra.config ?? FAST, trace: (r) => traces.push(r) });
  return { dir, summary, truth: readTruth(dir), traces };
}

const ms = (iso: string): number => Date.parse(iso);

/** The time written on a log line, as epoch ms. */
function lineTime(file: string, line: string): number {
  if (file === 'mlflow-access.log') {
    const m = /\[(\d{2})\/(\w{3})\/(\d{4}):(\d{2}:\d{2}:\d{2}) \+0000\]/.exec(line)!;
    return Date.parse(`${m[2]} ${m[1]} ${m[3]} ${m[4]} UTC`);
  }
  const o = JSON.parse(line) as { TimeGenerated?: string; time?: string };
  return Date.parse((o.TimeGenerated ?? o.time)!);
}

/** Checks shared by every run: truth's shape, and that each phase's log lines are where truth says. */
function checkTruth(r: Run, variant: Variant): void {
  const t = r.truth;
  assert.deepEqual(Object.keys(t), ['seed', 'variant', 'attacker', 'accomplices', 'resignation', 'phases', 'decoys', 'benign']);
  assert.equal(t.variant, variant);
  assert.deepEqual(
    t.phases.map((p) => p.id),
    [...PHASES],
    'all six phases happen',
  );
  for (const p of t.phases) {
    assert.deepEqual(Object.keys(p), ['id', 'start', 'end', 'techniques']);
    assert.deepEqual(p.techniques, TECHNIQUES[p.id]);
    assert.ok(ms(p.start) <= ms(p.end));
  }
  assert.ok(!t.benign.includes(t.attacker));
  for (const d of t.decoys) assert.ok(!t.benign.includes(d.principal));
  // Every traced attack line exists, names the identity and carries the time; it lies in its phase window.
  const cache = new Map<string, string[]>();
  const window = new Map(t.phases.map((p) => [p.id, [ms(p.start), ms(p.end)] as const]));
  const perPhase = new Map<PhaseId, number>();
  for (const tr of r.traces) {
    let ls = cache.get(tr.file);
    if (!ls) cache.set(tr.file, (ls = lines(r.dir, tr.file)));
    const line = ls[tr.line - 1]!;
    assert.ok(line.includes(tr.identity), `${tr.file}:${tr.line} names ${tr.identity}`);
    assert.ok(Math.abs(lineTime(tr.file, line) - tr.time) < 1000, `${tr.file}:${tr.line} time`);
    const [s, e] = window.get(tr.phase)!;
    assert.ok(tr.time >= s && tr.time <= e, `${tr.phase} event inside its window`);
    perPhase.set(tr.phase, (perPhase.get(tr.phase) ?? 0) + 1);
  }
  for (const p of PHASES) assert.ok((perPhase.get(p) ?? 0) > 0, `${p} has log lines`);
  assert.ok(ms(t.phases[0]!.start) < ms(t.phases[1]!.start), 'reconnaissance comes before extraction');
  // Identities in traces: the attacker's own, or the accomplices' (sybil).
  const dir = readDirectory(r.dir);
  const me = dir.find((d) => d.principal === t.attacker)!;
  const mine = new Set([me.principal, me.email, ...me.aliases.split(';')]);
  const theirs = new Set(dir.filter((d) => t.accomplices.includes(d.principal)).flatMap((d) => [d.principal, d.email, ...d.aliases.split(';')]));
  for (const tr of r.traces) assert.ok(mine.has(tr.identity) || (tr.phase === 'api_extraction' && theirs.has(tr.identity)), `${tr.identity} is the attacker's or an accomplice's`);
}

function phase(t: Truth, id: PhaseId): [number, number] {
  const p = t.phases.find((x) => x.id === id)!;
  return [ms(p.start), ms(p.end)];
}

/** Theft, exfiltration and membership inference read from the logs alone. */
function checkPhasesInLogs(r: Run): void {
  const t = r.truth;
  const me = readDirectory(r.dir).find((d) => d.principal === t.attacker)!;
  const [ts, te] = phase(t, 'artifact_theft');
  const ml = readMlflow(r.dir).filter((l) => l.user === t.attacker && l.path.includes('get-download-uri'));
  for (const [name, version] of [['toxicity-classifier', 8], ['admet-predictor', 11]] as const) {
    const hit = ml.filter((l) => l.path.includes(`name=${name}&version=${version}`));
    assert.ok(hit.length >= 1, `get-download-uri of ${name} v${version}`);
    for (const h of hit) assert.ok(ms(h.time) >= ts - 1000 && ms(h.time) <= te + 1000, 'download URI inside the theft window');
  }
  const keys = me.aliases.split(';');
  const gets = readMinio(r.dir).filter((m) => m.api.name === 'GetObject' && keys.includes(m.accessKey) && /^(toxicity-classifier\/8|admet-predictor\/11)\//.test(m.api.object ?? ''));
  const bytes = (p: string): number => gets.filter((g) => g.api.object!.startsWith(p)).reduce((s, g) => s + g.api.tx, 0);
  assert.ok(Math.abs(bytes('toxicity-classifier/8/') / 859e6 - 1) < 0.06, `tox v8 ~859 MB (${bytes('toxicity-classifier/8/')})`);
  assert.ok(Math.abs(bytes('admet-predictor/11/') / 1.2e9 - 1) < 0.06, 'admet v11 ~1.2 GB');
  for (const g of gets) assert.ok(ms(g.time) >= ts - 1000 && ms(g.time) <= te + 1000);

  const [xs, xe] = phase(t, 'exfiltration');
  const up = readUploads(r.dir).filter((u) => u.who === t.attacker && u.name.startsWith('research_notes_'));
  assert.ok(up.length >= 40, `${up.length} archive chunks`);
  const sizes = new Map<number, number>();
  for (const u of up) {
    assert.ok(ms(u.time) >= xs && ms(u.time) <= xe, 'chunk upload inside the exfiltration window');
    assert.ok(u.entropy >= 7.99);
    assert.ok(!/halcyontx/.test(u.destination), 'personal destination');
    sizes.set(u.size, (sizes.get(u.size) ?? 0) + 1);
  }
  const chunk = [...sizes.entries()].sort((a, b) => b[1] - a[1])[0]!;
  assert.ok(chunk[1] >= up.length - 1 && chunk[0] >= 24 * 1048576 && chunk[0] <= 26 * 1048576, 'uniform ~25 MB chunks');
  assert.deepEqual(up.slice(0, 3).map((u) => u.name), ['research_notes_aa', 'research_notes_ab', 'research_notes_ac']);

  // Membership inference: the attacker's queries in that phase are internal-library compounds.
  const lib = new Set(lines(r.dir, 'compound-library.csv').slice(1).map((l) => l.split(',')[1]!));
  const mi = new Set(r.traces.filter((x) => x.phase === 'membership_inference').map((x) => `${x.file}:${x.line}`));
  const preds = readPredictions(r.dir).filter((p) => mi.has(`${p.file}:${p.line}`));
  const smiles = preds.flatMap((p) => p.smiles);
  assert.ok(smiles.length >= 1500 && smiles.every((s) => lib.has(s)), 'membership inference queries the internal library');
}

test('same seed gives the same bytes; another seed differs', async () => {
  const cfg = { days: 30, scale: 0.1, config: FAST };
  const a = await run(11, 'baseline', cfg);
  const b = await run(11, 'baseline', cfg);
  const c = await run(12, 'baseline', cfg);
  const ha = hashDir(a.dir);
  assert.equal(Object.keys(ha).length, 10);
  assert.deepEqual(ha, hashDir(b.dir));
  const hc = hashDir(c.dir);
  for (const f of Object.keys(ha)) if (f !== 'model-inventory.json') assert.notEqual(ha[f], hc[f], `${f} differs between seeds`);
  // The bodies embedded as JSON strings parse, and the byte counts are theirs.
  for (const l of lines(a.dir, 'MLPlatformLogs.jsonl')) {
    const o = JSON.parse(l) as { EventType: string; InputData?: string; OutputData?: string; BatchSize: number; Details: { bytes_in: number; bytes_out: number } };
    if (o.EventType !== 'prediction_request') continue;
    const body = JSON.parse(o.InputData!) as { data?: { ndarray: unknown[] }; instances?: unknown[] };
    assert.equal((body.data?.ndarray ?? body.instances)!.length, o.BatchSize);
    assert.equal(o.Details.bytes_in, Buffer.byteLength(o.InputData!));
    assert.equal(o.Details.bytes_out, o.OutputData === undefined ? 0 : Buffer.byteLength(o.OutputData));
    if (o.OutputData) assert.equal((JSON.parse(o.OutputData) as { predictions: unknown[] }).predictions.length, o.BatchSize);
  }
  for (const r of [a, b, c]) rmSync(r.dir, { recursive: true, force: true });
});

for (const variant of ['baseline', 'low-and-slow', 'sybil', 'no-hr'] as const) {
  test(`variant ${variant}: truth matches the logs on several seeds`, async () => {
    for (const seed of [101, 202, 404]) {
      // Low-and-slow needs the full 90 days (about 60 of extraction); the others fit in 60.
      const r = await run(seed, variant, variant === 'low-and-slow' ? { config: { attack: { membershipInference: { queries: [2000, 3000] } } } } : { days: 60 });
      try {
        checkTruth(r, variant);
        checkPhasesInLogs(r);
        const t = r.truth;
        const hr = lines(r.dir, 'HREvents.jsonl').map((l) => JSON.parse(l) as { EventType: string; UserId: string; TimeGenerated: string });
        const me = readDirectory(r.dir).find((d) => d.principal === t.attacker)!;
        const mine = hr.filter((h) => h.UserId === me.email);
        const firstStart = Math.min(...t.phases.map((p) => ms(p.start)));
        const lastEnd = Math.max(...t.phases.map((p) => ms(p.end)));
        if (variant === 'no-hr') {
          assert.equal(t.resignation, null);
          assert.equal(mine.length, 0, 'the resignation is never recorded');
        } else {
          const res = mine.find((h) => h.EventType === 'resignation_submitted')!;
          assert.equal(res.TimeGenerated, t.resignation);
          const resign = ms(t.resignation!);
          assert.ok(lastEnd < resign + 30 * DAY, 'the campaign ends within the notice period');
          if (variant === 'low-and-slow') {
            const [s, e] = phase(t, 'api_extraction');
            assert.ok(s < resign, 'extraction starts before the resignation');
            assert.ok(e - s >= 45 * DAY, `extraction spans ~60 days (${((e - s) / DAY).toFixed(0)})`);
          } else assert.ok(firstStart > resign, 'the campaign starts after the resignation');
        }
        if (variant === 'sybil') {
          assert.equal(t.accomplices.length, 3);
          const ext = r.traces.filter((x) => x.phase === 'api_extraction');
          const dir = readDirectory(r.dir);
          const owner = (id: string): string => dir.find((d) => d.principal === id || d.email === id || d.aliases.split(';').includes(id))!.principal;
          const who = new Set(ext.map((x) => owner(x.identity)));
          for (const a of t.accomplices) assert.ok(who.has(a), `extraction under ${a}`);
          // Borrowed keys are used from the attacker's own machine.
          const preds = new Map(readPredictions(r.dir).map((p) => [`${p.file}:${p.line}`, p]));
          const ips = (pred: (p: string) => boolean): Set<string> => new Set(ext.filter((x) => pred(owner(x.identity))).map((x) => preds.get(`${x.file}:${x.line}`)!.ip));
          const own = new Set(readPredictions(r.dir).filter((p) => p.who === t.attacker).map((p) => p.ip));
          for (const ip of ips((p) => p !== t.attacker)) assert.ok(own.has(ip), 'borrowed keys come from the attacker IPs');
        } else assert.deepEqual(t.accomplices, []);
        if (variant === 'low-and-slow') checkLowAndSlow(r);
      } finally {
        rmSync(r.dir, { recursive: true, force: true });
      }
    }
  });
}

/** Low-and-slow: on no day does the attacker query more molecules than busy benign researchers do. */
function checkLowAndSlow(r: Run): void {
  const t = r.truth;
  const decoys = new Set(t.decoys.map((d) => d.principal));
  const perDay = new Map<string, number>();
  for (const p of readPredictions(r.dir)) {
    const k = `${p.who}|${p.time.slice(0, 10)}`;
    perDay.set(k, (perDay.get(k) ?? 0) + p.smiles.length);
  }
  const benign = [...perDay.entries()].filter(([k]) => {
    const who = k.split('|')[0]!;
    return who !== t.attacker && !decoys.has(who) && !who.startsWith('svc-');
  });
  const vals = benign.map(([, v]) => v).sort((a, b) => a - b);
  const p99 = vals[Math.floor(vals.length * 0.99)]!;
  const ext = new Map<string, number>();
  const preds = new Map(readPredictions(r.dir).map((p) => [`${p.file}:${p.line}`, p]));
  for (const x of r.traces.filter((y) => y.phase === 'api_extraction')) {
    const p = preds.get(`${x.file}:${x.line}`)!;
    ext.set(p.time.slice(0, 10), (ext.get(p.time.slice(0, 10)) ?? 0) + p.smiles.length);
  }
  const maxExt = Math.max(...ext.values());
  assert.ok(maxExt < p99, `daily extraction ${maxExt} below the benign 99th percentile ${p99}`);
}

test('decoys behave as labelled', async () => {
  const r = await run(303, 'baseline', { config: FAST });
  try {
    const t = r.truth;
    const by = (b: string): string => t.decoys.find((d) => d.behaviour === b)!.principal;
    assert.deepEqual(t.decoys.map((d) => d.behaviour).sort(), ['approved_load_test', 'backup_uploads', 'resigned_normal_activity', 'retraining_downloads', 'virtual_screening_campaign']);
    const dir = readDirectory(r.dir);
    const preds = readPredictions(r.dir);
    const pool = loadPool();
    const cluster = new Map(pool.smiles.map((s, i) => [s, pool.cluster[i]!]));

    // Load test: huge volume, a handful of molecules, and announced as approved.
    const lt = by('approved_load_test');
    assert.match(dir.find((d) => d.principal === lt)!.projects, /approved-load-test/);
    const ltPreds = preds.filter((p) => p.who === lt);
    const perDay = new Map<string, number>();
    for (const p of preds) perDay.set(`${p.who}|${p.time.slice(0, 10)}`, (perDay.get(`${p.who}|${p.time.slice(0, 10)}`) ?? 0) + 1);
    const ltMax = Math.max(...[...perDay.entries()].filter(([k]) => k.startsWith(lt + '|')).map(([, v]) => v));
    const others = [...perDay.entries()].filter(([k]) => !k.startsWith(lt + '|')).map(([, v]) => v).sort((a, b) => a - b);
    assert.ok(ltMax > 5 * others[Math.floor(others.length / 2)]!, 'load test volume dwarfs a typical user-day');
    assert.ok(new Set(ltPreds.flatMap((p) => p.smiles)).size <= 24, 'load test uses a handful of molecules');

    // Virtual screening: high diversity, announced in the directory.
    const vs = by('virtual_screening_campaign');
    assert.match(dir.find((d) => d.principal === vs)!.projects, /virtual-screening-/);
    const vsMols = new Set(preds.filter((p) => p.who === vs).flatMap((p) => p.smiles));
    const vsClusters = new Set([...vsMols].map((s) => cluster.get(s)));
    assert.ok(vsMols.size >= 5000 && vsClusters.size / vsMols.size > 0.8, 'screening is broad');

    // Retraining: several of the data scientist's own project's models on one or two days.
    const rt = by('retraining_downloads');
    const projects = dir.find((d) => d.principal === rt)!.projects.split(';');
    const inv = JSON.parse(readFileSync(join(r.dir, 'model-inventory.json'), 'utf8')) as { registered_models: Array<{ name: string; tags: Array<{ key: string; value: string }> }> };
    const projectOf = new Map(inv.registered_models.map((m) => [m.name, m.tags.find((x) => x.key === 'project')!.value]));
    const uris = readMlflow(r.dir).filter((l) => l.user === rt && l.path.includes('get-download-uri'));
    const byDay = new Map<string, Set<string>>();
    for (const u of uris) {
      const name = /name=([^&]+)/.exec(u.path)![1]!;
      assert.ok(projects.includes(projectOf.get(name)!), `${name} is one of ${rt}'s projects`);
      const d = u.time.slice(0, 10);
      if (!byDay.has(d)) byDay.set(d, new Set());
      byDay.get(d)!.add(name);
    }
    assert.ok(Math.max(...[...byDay.values()].map((s) => s.size)) >= 2, 'several own models downloaded in a day');

    // Resigner: resigns, keeps working normally until the last day.
    const rs = by('resigned_normal_activity');
    const email = dir.find((d) => d.principal === rs)!.email;
    const hr = lines(r.dir, 'HREvents.jsonl').map((l) => JSON.parse(l) as { EventType: string; UserId: string; TimeGenerated: string; Details: { last_working_day: string } });
    const res = hr.find((h) => h.UserId === email && h.EventType === 'resignation_submitted')!;
    const after = preds.filter((p) => p.who === rs && p.time > res.TimeGenerated && p.time.slice(0, 10) <= res.Details.last_working_day);
    assert.ok(after.length > 0, 'keeps working after resigning');
    assert.ok(preds.filter((p) => p.who === rs && p.time.slice(0, 10) > res.Details.last_working_day).length === 0, 'stops after the last day');

    // Backup: uniformly sized chunks to a sanctioned destination, every night.
    const bk = by('backup_uploads');
    const ups = readUploads(r.dir).filter((u) => u.who === bk);
    assert.ok(ups.length >= 80);
    assert.ok(ups.every((u) => u.destination.includes('halcyontx-backup')));
    const sizes = new Map<number, number>();
    for (const u of ups) sizes.set(u.size, (sizes.get(u.size) ?? 0) + 1);
    const top = [...sizes.values()].sort((a, b) => b - a)[0]!;
    assert.ok(top >= ups.length - 95, 'all but the last chunk of each night have one size');

    // Extraction is diverse, the researchers' own work is focused (same fingerprint clusters the detectors see).
    const ext = new Set(r.traces.filter((x) => x.phase === 'api_extraction').map((x) => `${x.file}:${x.line}`));
    const extMols = new Set(preds.filter((p) => ext.has(`${p.file}:${p.line}`)).flatMap((p) => p.smiles).filter((s) => cluster.has(s)));
    const extClusters = new Set([...extMols].map((s) => cluster.get(s)));
    assert.ok(extClusters.size / extMols.size > 0.7, 'extraction spans many series');
    const researcher = dir.find((d) => d.team === 'drug-discovery' && !t.decoys.some((x) => x.principal === d.principal) && d.role !== 'head_of_drug_discovery')!;
    const rMols = new Set(preds.filter((p) => p.who === researcher.principal).flatMap((p) => p.smiles));
    const rClusters = new Set([...rMols].map((s) => cluster.get(s)));
    assert.ok(rClusters.size / rMols.size < 0.75, `a researcher stays in a few series (${rClusters.size}/${rMols.size})`);
  } finally {
    rmSync(r.dir, { recursive: true, force: true });
  }
});

test('the defaults: 90 days from 2026-02-01 at scale 1', async () => {
  const dir = tmp();
  try {
    const traces: TraceRecord[] = [];
    const s = await simulate({ seed: 1, out: dir, trace: (r) => traces.push(r) });
    assert.equal(s.days, 90);
    assert.ok(s.events > 150_000, `${s.events} events`);
    const t = readTruth(dir);
    assert.deepEqual(t.phases.map((p) => p.id), [...PHASES]);
    assert.ok(t.resignation && t.resignation >= '2026-02-01' && t.resignation < '2026-05-02');
    assert.ok(t.benign.length >= 77, 'the whole benign population');
    const dirRows = readDirectory(dir);
    assert.deepEqual(
      ['comp-chem', 'drug-discovery', 'clinical-ops'].map((team) => dirRows.filter((d) => d.team === team && !d.role.startsWith('head_') && d.role !== 'service_account').length),
      [12, 45, 20],
    );
    const inv = JSON.parse(readFileSync(join(dir, 'model-inventory.json'), 'utf8')) as { registered_models: unknown[] };
    assert.equal(inv.registered_models.length, 28);
    // About 50,000 molecules extracted and 20,000 library compounds probed.
    const preds = new Map(readPredictions(dir).map((p) => [`${p.file}:${p.line}`, p]));
    let ext = 0;
    let mi = 0;
    for (const r of traces) {
      const p = preds.get(`${r.file}:${r.line}`);
      if (r.phase === 'api_extraction') ext += p?.smiles.length ?? 0;
      if (r.phase === 'membership_inference') mi += p?.smiles.length ?? 0;
    }
    assert.ok(ext >= 35_000 && ext <= 60_000, `${ext} molecules extracted`);
    assert.ok(mi >= 15_000 && mi <= 25_000, `${mi} membership probes`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
