/**
 * The day loop. Actors plan a day ahead; every action of the platform runs in
 * global time order, so each log is time-ordered like a real one. Memory is
 * bounded by about two simulated days of planned actions (independent of
 * --days); output is streamed through buffered writers that wait for drain.
 */
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Attacker } from './attacker.js';
import type { Actor, DayCtx, SimContext } from './actors.js';
import { BackupJob, BatchScorer, DAY_MS, DataScientist, HrNoise, HumanActor, LoadTester, PlatformEngineer, Resigner, Retrainer, Screener } from './actors.js';
import type { ConfigOverrides, Variant } from './config.js';
import { mergeConfig } from './config.js';
import type { PhaseId, TraceRecord } from './emit.js';
import { Emitter, OUTPUT_FILES, PHASES, iso } from './emit.js';
import { ModelOracle } from './models.js';
import type { Pool } from './pool.js';
import { loadPool } from './pool.js';
import { Rng } from './rng.js';
import type { Person, World } from './world.js';
import { aliasesOf, buildWorld } from './world.js';

export const TECHNIQUES: Record<PhaseId, string[]> = {
  recon: ['T1078', 'T1213', 'AML.T0007'],
  api_extraction: ['AML.T0024.002', 'AML.T0005.001', 'T1119'],
  side_channel: ['AML.T0024.002', 'AML.T0063'],
  artifact_theft: ['T1530', 'T1213', 'AML.T0048.004'],
  membership_inference: ['AML.T0024.000'],
  exfiltration: ['T1567', 'T1048', 'T1027', 'T1036.005'],
};

export const STATIC_FILES = {
  directory: 'directory.csv',
  inventory: 'model-inventory.json',
  library: 'compound-library.csv',
  truth: 'truth.json',
} as const;

export interface EngineOptions {
  seed: number;
  out: string;
  days: number;
  /** YYYY-MM-DD, UTC midnight. */
  start: string;
  scale: number;
  variant: Variant;
  config?: ConfigOverrides;
  onProgress?: (p: { day: number; days: number; events: number }) => void;
  trace?: (r: TraceRecord) => void;
  pool?: Pool;
}

export interface Truth {
  seed: number;
  variant: Variant;
  attacker: string;
  accomplices: string[];
  resignation: string | null;
  phases: Array<{ id: PhaseId; start: string; end: string; techniques: string[] }>;
  decoys: Array<{ principal: string; behaviour: string }>;
  benign: string[];
}

export interface SimulationSummary {
  seed: number;
  variant: Variant;
  days: number;
  scale: number;
  start: string;
  out: string;
  /** Lines written to the event logs (CloudEvents count request and response). */
  events: number;
  files: Record<string, { lines: number; bytes: number }>;
  truth: Truth;
}

function csvCell(v: string): string {
  return /[",\n\r]/.test(v) ? `"${v.replaceAll('"', '""')}"` : v;
}

export function directoryCsv(people: Person[]): string {
  const rows = ['principal,email,display_name,team,projects,role,manager,aliases'];
  for (const p of people) rows.push([p.principal, p.email, p.displayName, p.team, p.projects.join(';'), p.role, p.manager, aliasesOf(p).join(';')].map(csvCell).join(','));
  return rows.join('\n') + '\n';
}

export function inventoryJson(world: World): string {
  const owner = (team: string): string => world.people.find((p) => p.team === team && p.role.startsWith('head_'))?.principal ?? '';
  const registered_models = world.models.map((m) => ({
    name: m.name,
    creation_timestamp: m.createdMs,
    last_updated_timestamp: m.updatedMs,
    user_id: owner(m.team),
    description: m.description,
    latest_versions: [
      {
        name: m.name,
        version: String(m.version),
        creation_timestamp: m.updatedMs,
        last_updated_timestamp: m.updatedMs,
        user_id: owner(m.team),
        current_stage: 'Production',
        description: '',
        source: `s3://models/${m.name}/${m.version}/`,
        run_id: m.runId,
        status: 'READY',
        status_message: '',
        run_link: '',
      },
    ],
    tags: [
      { key: 'team', value: m.team },
      { key: 'project', value: m.project },
      { key: 'ip_classification', value: m.classification },
      { key: 'estimated_value', value: String(m.value) },
      { key: 'architecture', value: m.architecture },
      { key: 'artifact_location', value: `s3://models/${m.name}/` },
      { key: 'serving', value: m.serving === 'gateway' ? 'ml-gateway' : m.serving },
    ],
  }));
  return JSON.stringify({ registered_models }, null, 2) + '\n';
}

async function writeLibrary(path: string, world: World, pool: Pool): Promise<void> {
  const s = createWriteStream(path);
  const lib = world.library;
  let buf = 'compound_id,smiles,series\n';
  for (let k = 0; k < lib.members.length; k++) {
    const i = lib.members[k]!;
    buf += `${lib.ids[k]},${pool.smiles[i]},S${String(pool.cluster[i]).padStart(5, '0')}\n`;
    if (buf.length > 1 << 20) {
      if (!s.write(buf)) await once(s, 'drain');
      buf = '';
    }
  }
  s.write(buf);
  await new Promise<void>((resolve, reject) => {
    s.once('error', reject);
    s.end(() => resolve());
  });
}

export async function runSimulation(o: EngineOptions): Promise<SimulationSummary> {
  const cfg = mergeConfig(o.config);
  const pool = o.pool ?? loadPool();
  const startMs = Date.parse(`${o.start}T00:00:00Z`);
  if (Number.isNaN(startMs)) throw new Error(`start is not a date: ${o.start}`);
  try {
    await mkdir(o.out, { recursive: true });
  } catch (e) {
    throw new Error(`--out ${o.out}: cannot create the directory (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`, { cause: e });
  }
  const world = buildWorld(pool, cfg, o.seed, o.variant, o.scale, startMs);
  const oracle = new ModelOracle(world, pool);
  const emit = new Emitter(world, oracle, Rng.derive(o.seed, 'emit'), o.out, o.trace);
  const sim: SimContext = { world, pool, cfg, emit, seed: o.seed, days: o.days, startMs };
  const roles = world.roles;
  emit.rateExempt.add(roles.loadTest.idx);

  // Cast.
  const actors: Actor[] = [];
  const decoys: Truth['decoys'] = [];
  const special = new Set<Person>([roles.attacker, roles.loadTest, roles.backup, roles.batchScoring, roles.screener, roles.retrainer, roles.resigner]);
  const attacker = new Attacker(roles.attacker, sim);
  actors.push(attacker);
  actors.push(new LoadTester(roles.loadTest, sim));
  decoys.push({ principal: roles.loadTest.principal, behaviour: 'approved_load_test' });
  actors.push(new Screener(roles.screener, sim));
  decoys.push({ principal: roles.screener.principal, behaviour: 'virtual_screening_campaign' });
  actors.push(new Retrainer(roles.retrainer, sim));
  decoys.push({ principal: roles.retrainer.principal, behaviour: 'retraining_downloads' });
  actors.push(new Resigner(roles.resigner, sim));
  decoys.push({ principal: roles.resigner.principal, behaviour: 'resigned_normal_activity' });
  actors.push(new BackupJob(roles.backup, sim));
  decoys.push({ principal: roles.backup.principal, behaviour: 'backup_uploads' });
  actors.push(new BatchScorer(roles.batchScoring, sim));
  for (const p of world.people) {
    if (special.has(p)) continue;
    if (p.team === 'comp-chem') actors.push(new DataScientist(p, sim));
    else if (p.team === 'ml-platform') actors.push(new PlatformEngineer(p, sim));
    else actors.push(new HumanActor(p, sim));
  }
  const humans = world.people.filter((p) => !p.service && p !== roles.attacker);
  // HR's role changes (the actor's own person only anchors it; it acts on the candidates).
  actors.push(new HrNoise(roles.backup, sim, humans.filter((p) => p !== roles.resigner)));

  // Reference data.
  await writeFile(join(o.out, STATIC_FILES.directory), directoryCsv(world.people));
  await writeFile(join(o.out, STATIC_FILES.inventory), inventoryJson(world));
  await writeLibrary(join(o.out, STATIC_FILES.library), world, pool);

  // Day loop: all actors plan the day, its actions run in time order; actions that spill past midnight
  // (a training job's late logging) carry over into the next day's order. No actor acts before midnight
  // UTC of the day it planned (the earliest shift starts ~05:00 UTC), so every log comes out in time order.
  type Slot = { t: number; run: () => void };
  let pending: Slot[] = [];
  for (let d = 0; d < o.days; d++) {
    const dayStart = startMs + d * DAY_MS;
    const weekday = new Date(dayStart).getUTCDay();
    const ctx: DayCtx = { day: d, dayStart, weekday, weekend: weekday === 0 || weekday === 6, schedule: (t, run) => pending.push({ t: t < dayStart ? dayStart : t, run }) };
    for (const a of actors) a.planDay(ctx);
    pending.sort((a, b) => a.t - b.t);
    const cutoff = d + 1 < o.days ? dayStart + DAY_MS : Number.POSITIVE_INFINITY;
    let i = 0;
    for (; i < pending.length && pending[i]!.t < cutoff; i++) {
      pending[i]!.run();
      if (emit.needsFlush) await emit.flush();
    }
    pending = pending.slice(i);
    o.onProgress?.({ day: d + 1, days: o.days, events: emit.events });
  }
  await emit.close();

  const resign = emit.hrEvents.find((h) => h.principal === roles.attacker.principal && h.type === 'resignation_submitted');
  const decoySet = new Set(decoys.map((d) => d.principal));
  const accomplices = roles.accomplices.map((p) => p.principal);
  const truth: Truth = {
    seed: o.seed,
    variant: o.variant,
    attacker: roles.attacker.principal,
    accomplices,
    resignation: resign ? iso(resign.t) : null,
    phases: PHASES.filter((p) => emit.phases.has(p)).map((p) => {
      const s = emit.phases.get(p)!;
      return { id: p, start: iso(s.start), end: iso(s.end), techniques: TECHNIQUES[p] };
    }),
    decoys,
    benign: world.people.map((p) => p.principal).filter((p) => p !== roles.attacker.principal && !decoySet.has(p) && !accomplices.includes(p)),
  };
  await writeFile(join(o.out, STATIC_FILES.truth), JSON.stringify(truth, null, 2) + '\n');

  const files: SimulationSummary['files'] = {};
  for (const [k, f] of Object.entries(OUTPUT_FILES)) {
    const w = emit.writers[k as keyof typeof OUTPUT_FILES];
    files[f] = { lines: w.lines, bytes: w.bytes };
  }
  return { seed: o.seed, variant: o.variant, days: o.days, scale: o.scale, start: o.start, out: o.out, events: emit.events, files, truth };
}
