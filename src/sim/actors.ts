/**
 * The people and service accounts of the simulated platform. Each actor has
 * its own random stream (seed + principal), plans one day at a time and
 * schedules its actions; the engine runs all actions of a day in time order.
 */
import type { Emitter, PhaseId } from './emit.js';
import { UA, isoDate } from './emit.js';
import type { Query } from './models.js';
import type { Pool } from './pool.js';
import { Rng } from './rng.js';
import type { ScenarioConfig } from './config.js';
import type { ModelDef, Person, World } from './world.js';
import { draw, drawInt } from './world.js';

export const DAY_MS = 86_400_000;
const HOUR_MS = 3_600_000;

export interface DayCtx {
  day: number;
  /** UTC midnight of the day, epoch ms. */
  dayStart: number;
  /** 0 = Sunday. */
  weekday: number;
  weekend: boolean;
  schedule(t: number, run: () => void): void;
}

export interface SimContext {
  world: World;
  pool: Pool;
  cfg: ScenarioConfig;
  emit: Emitter;
  seed: number;
  days: number;
  startMs: number;
}

export abstract class Actor {
  readonly rng: Rng;
  /** Last day (index) the actor works; later days are skipped. */
  lastDay = Number.POSITIVE_INFINITY;

  constructor(
    readonly person: Person,
    protected readonly sim: SimContext,
    label?: string,
  ) {
    this.rng = Rng.derive(sim.seed, label ?? `actor:${person.principal}`);
  }

  abstract planDay(ctx: DayCtx): void;

  /** Epoch ms of a local clock hour (may be fractional) on the day. */
  local(ctx: DayCtx, hour: number): number {
    return Math.floor(ctx.dayStart + (hour - this.person.tz) * HOUR_MS);
  }
}

// ---------------------------------------------------------------------------
// Molecule choice helpers

// One shared, immutable Query per pool molecule: traffic repeats molecules, so this saves most allocations.
const queryCache = new WeakMap<Pool, Array<Query | undefined>>();
export function poolQuery(pool: Pool, idx: number): Query {
  let c = queryCache.get(pool);
  if (!c) queryCache.set(pool, (c = new Array<Query | undefined>(pool.smiles.length)));
  return (c[idx] ??= { smiles: pool.smiles[idx]!, poolIdx: idx });
}

/** Visits public clusters round-robin so that consecutive molecules come from different series: maximal diversity. */
export class DiverseStream {
  private order: Int32Array;
  private pos = 0;
  private round = 0;
  private readonly used: Uint8Array;

  constructor(
    private readonly pool: Pool,
    clusters: Int32Array,
    rng: Rng,
    used?: Uint8Array,
  ) {
    this.order = Int32Array.from(rng.shuffle(Array.from(clusters)));
    this.used = used ?? new Uint8Array(pool.smiles.length);
  }

  next(): number {
    for (let guard = 0; guard < this.order.length * 4 + 10; guard++) {
      if (this.pos >= this.order.length) {
        this.pos = 0;
        this.round++;
        // Keep only clusters that still have members this deep.
        this.order = this.order.filter((c) => this.pool.clusterSize[c]! > this.round);
        if (this.order.length === 0) throw new Error('diverse stream exhausted');
      }
      const c = this.order[this.pos++]!;
      if (this.pool.clusterSize[c]! <= this.round) continue;
      const idx = this.pool.clusterStart[c]! + this.round;
      if (this.used[idx]) continue;
      this.used[idx] = 1;
      return idx;
    }
    throw new Error('diverse stream exhausted');
  }
}

// ---------------------------------------------------------------------------
// Benign humans

type Habits = {
  activeProb: number;
  weekendProb: number;
  startHour: number;
  dayLength: number;
  median: number;
  sigma: number;
  meanBatch: number;
  batchJobProb: number;
  focusShare: number;
  vacation: Set<number>;
  models: ModelDef[];
  modelWeights: number[];
  uploadsPerWeek: number;
  vpnProb: number;
};

const SANCTIONED = ['halcyontx.sharepoint.com', 'halcyontx-my.sharepoint.com', 'halcyontx.box.com', 'eln.halcyontx.example', 'halcyontx.benchling.com'];
const PERSONAL_BENIGN = ['drive.google.com', 'www.dropbox.com', 'wetransfer.com'];
const DOC_TYPES: Array<[string, [number, number], [number, number]]> = [
  // extension, size range (bytes), entropy range (bits/byte)
  ['pptx', [400_000, 25_000_000], [7.82, 7.97]],
  ['xlsx', [30_000, 8_000_000], [7.8, 7.96]],
  ['docx', [40_000, 4_000_000], [7.75, 7.95]],
  ['pdf', [80_000, 15_000_000], [7.3, 7.92]],
  ['csv', [5_000, 30_000_000], [4.4, 5.9]],
  ['sdf', [20_000, 60_000_000], [3.3, 4.6]],
  ['png', [50_000, 3_000_000], [7.9, 7.99]],
];
const DOC_STEMS = ['SAR_summary', 'assay_results', 'project_update', 'manuscript_draft', 'poster', 'meeting_notes', 'compound_list', 'dose_response', 'trial_portfolio', 'model_eval', 'docking_poses', 'series_review'];

export class HumanActor extends Actor {
  protected readonly h: Habits;

  constructor(person: Person, sim: SimContext) {
    super(person, sim);
    const r = this.rng;
    const b = sim.cfg.benign;
    const team = person.team;
    const perDay = team === 'drug-discovery' ? b.requestsPerDay.drugDiscovery : team === 'comp-chem' ? b.requestsPerDay.compChem : team === 'clinical-ops' ? b.requestsPerDay.clinicalOps : ([1, 4] as [number, number]);
    const vacation = new Set<number>();
    if (r.chance(b.vacationProb)) {
      const len = drawInt(r, b.vacationWorkingDays);
      const start = r.int(0, Math.max(0, sim.days - 1));
      let d = start;
      let counted = 0;
      while (counted < len && d < sim.days) {
        const wd = new Date(sim.startMs + d * DAY_MS).getUTCDay();
        vacation.add(d);
        if (wd !== 0 && wd !== 6) counted++;
        d++;
      }
    }
    const { models, weights } = this.chooseModels();
    this.h = {
      activeProb: draw(r, b.activeDayProb),
      weekendProb: draw(r, b.weekendWorkProb),
      startHour: r.normal(8.6, 0.7),
      dayLength: r.uniform(7.5, 10),
      // Log-uniform across users: a heavy tail of busy people.
      median: Math.exp(r.uniform(Math.log(perDay[0]), Math.log(perDay[1]))),
      sigma: draw(r, b.dailySigma),
      meanBatch: draw(r, b.meanBatch),
      batchJobProb: draw(r, b.batchJobProb),
      focusShare: draw(r, b.focusShare),
      vacation,
      models,
      modelWeights: weights,
      uploadsPerWeek: draw(r, b.uploadsPerWeek),
      vpnProb: r.uniform(0, 0.25),
    };
  }

  protected chooseModels(): { models: ModelDef[]; weights: number[] } {
    const w = this.sim.world;
    const r = this.rng;
    const all = w.models;
    const byName = (n: string): ModelDef => w.modelByName.get(n)!;
    let models: ModelDef[];
    if (this.person.team === 'clinical-ops') {
      models = all.filter((m) => m.input === 'features');
    } else if (this.person.team === 'comp-chem') {
      models = all.filter((m) => m.input === 'smiles' && this.person.projects.includes(m.project));
      if (models.length === 0) models = [byName('binding-affinity-predictor')];
    } else {
      const extra = r.sample(all.length, 6).map((i) => all[i]!).filter((m) => m.input === 'smiles');
      models = [byName('binding-affinity-predictor'), byName('admet-predictor'), byName('toxicity-classifier'), ...extra.slice(0, r.int(1, 3))];
      models = [...new Set(models)];
    }
    const weights = models.map((m, i) => (m.name === 'binding-affinity-predictor' || m.name === 'trial-success-predictor' ? 3 : 1) * r.uniform(0.3, 1.5) * (i === 0 ? 1.5 : 1));
    return { models, weights };
  }

  protected working(ctx: DayCtx): boolean {
    if (ctx.day > this.lastDay) return false;
    if (this.h.vacation.has(ctx.day)) return false;
    if (ctx.weekend) return this.rng.chance(this.h.weekendProb);
    return this.rng.chance(this.h.activeProb);
  }

  /** `n` sorted request times in 1-4 sessions of the working day (local hours). */
  protected sessionTimes(ctx: DayCtx, n: number, from?: number, to?: number): number[] {
    const r = this.rng;
    const start = from ?? this.h.startHour + r.normal(0, 0.4);
    const end = to ?? start + this.h.dayLength + r.normal(0, 0.6);
    const sessions = Math.min(n, r.int(1, 4));
    const out: number[] = [];
    let left = n;
    for (let s = 0; s < sessions; s++) {
      const k = s === sessions - 1 ? left : Math.max(1, Math.round((n / sessions) * r.uniform(0.5, 1.5)));
      left -= Math.min(k, left);
      let t = this.local(ctx, r.uniform(start, Math.max(start + 0.1, end - 0.5)));
      const gap = r.uniform(15, 240) * 1000;
      for (let i = 0; i < k; i++) {
        out.push(Math.floor(t));
        t += r.exponential(gap) + 1000;
      }
      if (left <= 0) break;
    }
    return out.sort((a, b) => a - b);
  }

  protected ip(): string {
    return this.rng.chance(this.h.vpnProb) ? this.person.vpnIp : this.person.ip;
  }

  protected pickModel(): ModelDef {
    return this.h.models[this.rng.weighted(this.h.modelWeights)]!;
  }

  /** Reference compounds the person keeps coming back to (their programme's and a few from the library). */
  private refs: Int32Array | null = null;
  /** Molecules of the programme's other series (colleagues' work). */
  private programme: Int32Array | null = null;

  private ensureRefs(): void {
    if (this.refs) return;
    const r = this.rng;
    const pool = this.sim.pool;
    const lib = this.sim.world.library.members;
    const series = (this.person.programme && this.sim.world.programmes.get(this.person.programme)) || [];
    const prog: number[] = [];
    for (const c of series) {
      const s = pool.clusterStart[c]!;
      for (let i = s; i < s + pool.clusterSize[c]! && prog.length < 3000; i++) prog.push(i);
    }
    this.programme = Int32Array.from(prog);
    const refs: number[] = [];
    const n = r.int(15, 60);
    for (let i = 0; i < n; i++) refs.push(prog.length && r.chance(0.6) ? prog[r.int(0, prog.length - 1)]! : lib[r.int(0, lib.length - 1)]!);
    this.refs = Int32Array.from(refs);
  }

  /** One molecule in the person's habits: mostly the focus area, else the programme's series, reference compounds, rarely anything. */
  protected molecule(): Query {
    const r = this.rng;
    const pool = this.sim.pool;
    const f = this.person.focus;
    if (f.length && r.chance(this.h.focusShare)) return poolQuery(pool, f[r.zipf(f.length, 0.9)]!);
    this.ensureRefs();
    const u = r.next();
    if (u < 0.45 && this.programme!.length) return poolQuery(pool, this.programme![r.zipf(this.programme!.length, 1.2)]!);
    if (u < 0.93) return poolQuery(pool, this.refs![r.zipf(this.refs!.length, 1.0)]!);
    const lib = this.sim.world.library.members;
    return poolQuery(pool, lib[r.int(0, lib.length - 1)]!);
  }

  private readonly trials = new Map<number, Query>();

  protected features(key: number): Query {
    const got = this.trials.get(key);
    if (got) return got;
    const r = new Rng(`${this.person.principal}:trial:${key}`);
    const v = [r.int(1, 3), r.int(0, 11), r.int(3, 180), r.int(40, 3000), +r.uniform(6, 60).toFixed(1), r.int(0, 1), +r.uniform(0.05, 0.7).toFixed(3), r.int(0, 1), +r.uniform(0, 1).toFixed(3), r.int(1, 5), r.int(0, 1), +r.uniform(18, 80).toFixed(1)];
    const q = { smiles: `trial:${this.person.principal}:${key}`, poolIdx: -1, features: v };
    this.trials.set(key, q);
    return q;
  }

  protected batchOf(n: number, model: ModelDef): Query[] {
    const out: Query[] = [];
    if (model.input === 'features') {
      for (let i = 0; i < n; i++) out.push(this.features(this.rng.zipf(60, 1.0)));
      return out;
    }
    for (let i = 0; i < n; i++) out.push(this.molecule());
    return out;
  }

  planDay(ctx: DayCtx): void {
    if (!this.working(ctx)) return;
    this.planPredictions(ctx);
    this.planUploads(ctx);
    if (this.rng.chance(0.06)) {
      const t = this.local(ctx, this.rng.uniform(this.h.startHour, this.h.startHour + this.h.dayLength));
      const m = this.pickModel();
      ctx.schedule(t, () => this.sim.emit.platform(this.person, t, 'registry_get', { model: m }));
    }
  }

  protected planPredictions(ctx: DayCtx, scale = 1): void {
    const r = this.rng;
    const h = this.h;
    const n = Math.round(r.lognormal(h.median, h.sigma) * (ctx.weekend ? 0.4 : 1) * scale);
    const ip = this.ip();
    const ua = r.chance(0.7) ? UA.requests : UA.httpx;
    for (const t of this.sessionTimes(ctx, n)) {
      const model = this.pickModel();
      const size = Math.min(this.sim.cfg.platform.maxBatch, r.geometric(h.meanBatch));
      const q = this.batchOf(size, model);
      ctx.schedule(t, () => this.sim.emit.predict(this.person, t, model, q, { ip, ua }));
    }
    if (!ctx.weekend && r.chance(h.batchJobProb)) {
      // A scripted batch job over the focus area: many full batches in quick succession.
      const k = drawInt(r, this.sim.cfg.benign.batchJobRequests);
      const model = this.pickModel();
      let t = this.local(ctx, r.uniform(h.startHour + 1, h.startHour + h.dayLength));
      for (let i = 0; i < k; i++) {
        const q = this.batchOf(this.sim.cfg.platform.maxBatch, model);
        const at = Math.floor(t);
        ctx.schedule(at, () => this.sim.emit.predict(this.person, at, model, q, { ip, ua: UA.requests }));
        t += r.uniform(2, 25) * 1000;
      }
    }
  }

  protected planUploads(ctx: DayCtx): void {
    const r = this.rng;
    const n = r.poisson(this.h.uploadsPerWeek / 5);
    for (let i = 0; i < n; i++) {
      const t = this.local(ctx, r.uniform(this.h.startHour, this.h.startHour + this.h.dayLength));
      const [ext, size, ent] = r.pick(DOC_TYPES);
      const personal = r.chance(this.sim.cfg.benign.personalUploadProb);
      const dest = personal ? r.pick(PERSONAL_BENIGN) : r.pick(SANCTIONED);
      const name = `${r.pick(DOC_STEMS)}_${isoDate(t)}${r.chance(0.3) ? `_v${r.int(2, 5)}` : ''}.${personal ? r.pick(['pdf', 'pptx', 'png']) : ext}`;
      const file = { name, size: Math.round(Math.exp(r.uniform(Math.log(size[0]), Math.log(size[1])))), entropy: r.uniform(ent[0], ent[1]) };
      ctx.schedule(t, () => this.sim.emit.dlp(this.person, t, dest, file));
    }
  }
}

/** Comp-chem data scientists: training runs, registry and bucket use, downloads of their team's models. */
export class DataScientist extends HumanActor {
  protected readonly perWeek = {
    downloads: draw(this.rng, this.sim.cfg.benign.ownModelDownloadsPerWeek),
    training: draw(this.rng, this.sim.cfg.benign.trainingRunsPerWeek),
    searches: draw(this.rng, this.sim.cfg.benign.registrySearchesPerWeek),
    endpoints: draw(this.rng, this.sim.cfg.benign.endpointListsPerWeek),
  };

  protected ownModels(): ModelDef[] {
    return this.sim.world.models.filter((m) => this.person.projects.includes(m.project));
  }

  override planDay(ctx: DayCtx): void {
    if (!this.working(ctx)) return;
    this.planPredictions(ctx);
    this.planUploads(ctx);
    this.planDataScience(ctx);
  }

  protected planDataScience(ctx: DayCtx): void {
    const r = this.rng;
    const rate = (perWeek: number): number => r.poisson(perWeek / 5);
    const h = this.h;
    const dayTime = (): number => this.local(ctx, r.uniform(h.startHour + 0.3, h.startHour + h.dayLength));
    const own = this.ownModels();
    for (let i = 0; i < rate(this.perWeek.searches); i++) {
      const t = dayTime();
      if (r.chance(0.6)) {
        ctx.schedule(t, () => {
          this.sim.emit.mlflow(this.person, t, 'GET', '/ajax-api/2.0/mlflow/registered-models/search?max_results=25&order_by=name+ASC', { ua: UA.browser, bytes: r.int(4000, 12000), referer: `https://${this.sim.cfg.company.mlflowHost}/` });
          if (own.length) {
            const m = r.pick(own);
            this.sim.emit.mlflow(this.person, t + 4000, 'GET', `/ajax-api/2.0/mlflow/registered-models/get?name=${m.name}`, { ua: UA.browser, bytes: r.int(900, 3000), referer: `https://${this.sim.cfg.company.mlflowHost}/` });
          }
        });
      } else ctx.schedule(t, () => this.sim.emit.mlflow(this.person, t, 'GET', '/api/2.0/mlflow/registered-models/search?max_results=100', { bytes: r.int(8000, 30000) }));
    }
    // The platform portal: model cards and single artifacts (MLmodel, evaluation reports).
    for (let i = 0; i < rate(1); i++) {
      const t = dayTime();
      const m = own.length && r.chance(0.7) ? r.pick(own) : r.pick(this.sim.world.models);
      ctx.schedule(t, () => this.sim.emit.platform(this.person, t, 'registry_get', { model: m }));
    }
    if (own.length) {
      for (let i = 0; i < rate(0.5); i++) {
        const t = dayTime();
        const m = r.pick(own);
        const f = r.pick([['MLmodel', r.int(380, 900)], ['metrics/evaluation_report.html', r.int(200_000, 2_000_000)], ['metrics/confusion_matrix.png', r.int(40_000, 200_000)]] as const);
        ctx.schedule(t, () => this.sim.emit.platform(this.person, t, 'artifact_download', { model: m, artifactUri: `s3://models/${m.name}/${m.version}/${f[0]}`, bytes: f[1] }));
      }
    }
    for (let i = 0; i < rate(this.perWeek.endpoints); i++) {
      const t = dayTime();
      ctx.schedule(t, () => this.sim.emit.platform(this.person, t, 'endpoint_list', { ip: this.person.ip, count: this.sim.world.models.length }));
    }
    if (own.length) {
      for (let i = 0; i < rate(this.perWeek.downloads); i++) {
        const m = r.pick(own);
        this.download(ctx, dayTime(), m);
      }
    }
    for (let i = 0; i < rate(this.perWeek.training); i++) this.trainingRun(ctx, dayTime());
    if (r.chance(0.5)) {
      const t = dayTime();
      const proj = this.person.programme ?? 'binding-affinity';
      ctx.schedule(t, () => {
        this.sim.emit.mlflow(this.person, t, 'GET', '/ajax-api/2.0/mlflow/experiments/search?max_results=20', { ua: UA.browser, referer: `https://${this.sim.cfg.company.mlflowHost}/` });
        this.sim.emit.mlflow(this.person, t + 3000, 'POST', '/ajax-api/2.0/mlflow/runs/search', { ua: UA.browser, bytes: r.int(5000, 60000), referer: `https://${this.sim.cfg.company.mlflowHost}/` });
        this.sim.emit.minio(this.person, t + 60_000, 'GetObject', 'datasets', { object: `${proj}/train/part-${String(r.int(0, 15)).padStart(5, '0')}.parquet`, bytes: r.int(5_000_000, 90_000_000), ua: UA.boto3 });
      });
    }
  }

  /** get-download-uri, then the artifact files from MinIO (or through the MLflow artifact proxy, or the portal). */
  protected download(ctx: DayCtx, t: number, m: ModelDef, phase?: PhaseId, ip?: string, path?: 'minio' | 'proxy' | 'portal'): number {
    const r = this.rng;
    const e = this.sim.emit;
    const how = path ?? (phase ? 'minio' : r.pick(['minio', 'minio', 'proxy', 'portal'] as const));
    const files = artifactFiles(m, r);
    let at = t;
    if (how === 'portal') {
      ctx.schedule(at, () => e.platform(this.person, at, 'model_download', { model: m, artifactUri: `s3://models/${m.name}/${m.version}/`, bytes: files.reduce((s, f) => s + f.bytes, 0), ip: ip ?? this.person.ip }));
      return at;
    }
    const uriAt = at;
    ctx.schedule(uriAt, () => e.mlflow(this.person, uriAt, 'GET', `/api/2.0/mlflow/model-versions/get-download-uri?name=${m.name}&version=${m.version}`, { bytes: r.int(70, 110), phase, ip }));
    at += r.int(1500, 6000);
    if (how === 'proxy') {
      for (const f of files) {
        const ft = at;
        ctx.schedule(ft, () => e.mlflow(this.person, ft, 'GET', `/api/2.0/mlflow-artifacts/artifacts/${m.name}/${m.version}/${f.path}`, { bytes: f.bytes, phase, ip }));
        at += Math.round(f.bytes / 80_000) + r.int(200, 2000);
      }
      return at;
    }
    const lt = at;
    ctx.schedule(lt, () => e.minio(this.person, lt, 'ListObjectsV2', 'models', { prefix: `${m.name}/${m.version}/`, ua: UA.boto3, phase, ip }));
    at += r.int(300, 1500);
    for (const f of files) {
      const ft = at;
      ctx.schedule(ft, () => e.minio(this.person, ft, 'GetObject', 'models', { object: `${m.name}/${m.version}/${f.path}`, bytes: f.bytes, ua: UA.boto3, phase, ip }));
      at += Math.round(f.bytes / 110_000) + r.int(100, 1500);
    }
    return at;
  }

  /** A training run that logs to MLflow from a cluster pod and, sometimes, registers a new version. */
  protected trainingRun(ctx: DayCtx, t0: number): void {
    const r = this.rng;
    const e = this.sim.emit;
    const own = this.ownModels();
    const exp = own.length ? r.pick(own).experimentId : r.int(1, 60);
    const steps = r.int(15, 120);
    // Each training job runs in a fresh pod.
    const podIp = `10.244.${r.int(31, 60)}.${r.int(2, 250)}`;
    const every = r.uniform(60, 400) * 1000;
    let t = t0;
    ctx.schedule(t, () => {
      e.mlflow(this.person, t0, 'GET', `/api/2.0/mlflow/experiments/get?experiment_id=${exp}`, { ip: podIp, bytes: r.int(300, 900) });
      e.mlflow(this.person, t0 + 400, 'POST', '/api/2.0/mlflow/runs/create', { ip: podIp, bytes: r.int(400, 700) });
    });
    for (let i = 0; i < steps; i++) {
      t += r.exponential(every) + 5000;
      const at = Math.floor(t);
      ctx.schedule(at, () => e.mlflow(this.person, at, 'POST', '/api/2.0/mlflow/runs/log-batch', { ip: podIp, bytes: 2 }));
    }
    const end = Math.floor(t + 30_000);
    ctx.schedule(end, () => e.mlflow(this.person, end, 'POST', '/api/2.0/mlflow/runs/update', { ip: podIp, bytes: r.int(300, 500) }));
    if (own.length && r.chance(0.2)) {
      const m = r.pick(own);
      const at = end + r.int(60_000, 600_000);
      ctx.schedule(at, () => {
        e.minio(this.person, at, 'PutObject', 'models', { object: `${m.name}/staging/${r.hex(8)}/data/model.pth`, bytes: Math.round(m.artifactBytes * r.uniform(0.95, 1.05)), ua: UA.boto3, ip: podIp });
        e.mlflow(this.person, at + 5000, 'POST', '/api/2.0/mlflow/model-versions/create', { ip: podIp, bytes: r.int(500, 900) });
      });
    }
  }
}

export function artifactFiles(m: ModelDef, r: Rng): Array<{ path: string; bytes: number }> {
  return [
    { path: 'MLmodel', bytes: r.int(380, 900) },
    { path: 'conda.yaml', bytes: r.int(200, 420) },
    { path: 'python_env.yaml', bytes: r.int(90, 160) },
    { path: 'requirements.txt', bytes: r.int(120, 600) },
    { path: m.input === 'features' ? 'model.pkl' : 'data/model.pth', bytes: m.artifactBytes },
  ];
}

/** Platform engineers: listing endpoints, models and buckets is their job (benign "reconnaissance"). */
export class PlatformEngineer extends HumanActor {
  override planDay(ctx: DayCtx): void {
    if (!this.working(ctx)) return;
    const r = this.rng;
    const e = this.sim.emit;
    const n = r.poisson(3);
    for (let i = 0; i < n; i++) {
      const t = this.local(ctx, r.uniform(this.h.startHour, this.h.startHour + this.h.dayLength));
      const kind = r.int(0, 3);
      ctx.schedule(t, () => {
        if (kind === 0) e.platform(this.person, t, 'endpoint_list', { count: this.sim.world.models.length });
        else if (kind === 1) e.platform(this.person, t, 'registry_list', { count: this.sim.world.models.length });
        else if (kind === 2) e.platform(this.person, t, 'bucket_list', { bucket: 'models', prefix: '' });
        else e.mlflow(this.person, t, 'GET', '/api/2.0/mlflow/registered-models/search?max_results=1000', { bytes: r.int(20000, 60000) });
      });
    }
    this.planUploads(ctx);
  }
}

// ---------------------------------------------------------------------------
// Decoys

/** Approved load test: huge volume, a handful of molecules, a few hours on 1-3 days. */
export class LoadTester extends Actor {
  private readonly days = new Set<number>();
  private readonly mols: Query[];
  private readonly models: ModelDef[];

  constructor(person: Person, sim: SimContext) {
    super(person, sim);
    const r = this.rng;
    const c = sim.cfg.decoys.loadTest;
    const n = drawInt(r, c.days);
    let d = r.int(Math.min(7, sim.days - 1), Math.max(Math.min(7, sim.days - 1), sim.days - n - 1));
    while (this.days.size < n && d < sim.days) {
      const wd = new Date(sim.startMs + d * DAY_MS).getUTCDay();
      if (wd !== 0 && wd !== 6) this.days.add(d);
      d++;
    }
    const lib = sim.world.library.members;
    this.mols = Array.from({ length: drawInt(r, c.distinctMolecules) }, () => poolQuery(sim.pool, lib[r.int(0, lib.length - 1)]!));
    const w = sim.world.modelByName;
    this.models = [w.get('binding-affinity-predictor')!, w.get('admet-predictor')!, w.get('solubility-regressor')!, w.get('logd-predictor')!];
  }

  testDays(): number[] {
    return [...this.days].sort((a, b) => a - b);
  }

  planDay(ctx: DayCtx): void {
    if (!this.days.has(ctx.day)) return;
    const r = this.rng;
    const scale = Math.min(1, this.sim.world.scale);
    const total = Math.max(50, Math.round(drawInt(r, this.sim.cfg.decoys.loadTest.requestsPerDay) * scale));
    const startH = r.uniform(9, 12);
    const hours = r.uniform(2, 5);
    const t0 = this.local(ctx, startH);
    const span = hours * HOUR_MS;
    for (let i = 0; i < total; i++) {
      const t = Math.floor(t0 + (span * i) / total + r.uniform(0, span / total));
      const u = r.next();
      const size = u < 0.9 ? 1 : u < 0.99 ? 10 : 100;
      const q: Query[] = [];
      for (let k = 0; k < size; k++) q.push(this.mols[(i + k) % this.mols.length]!);
      const model = this.models[i % this.models.length]!;
      ctx.schedule(t, () => this.sim.emit.predict(this.person, t, model, q, { ua: UA.locust }));
    }
  }
}

/** Nightly batch scoring of the focus series by a pipeline service account. */
export class BatchScorer extends Actor {
  planDay(ctx: DayCtx): void {
    const r = this.rng;
    if (ctx.weekend && r.chance(0.6)) return;
    const n = Math.max(1, Math.round(drawInt(r, this.sim.cfg.decoys.batchScoring.requestsPerNight) * Math.min(1, Math.max(0.2, this.sim.world.scale))));
    const model = this.sim.world.modelByName.get(r.chance(0.5) ? 'solubility-regressor' : 'metabolic-stability-predictor')!;
    let t = this.local(ctx, r.uniform(1, 3));
    const f = this.person.focus;
    for (let i = 0; i < n; i++) {
      const q: Query[] = [];
      const base = r.int(0, Math.max(0, f.length - 100));
      for (let k = 0; k < Math.min(100, f.length); k++) q.push(poolQuery(this.sim.pool, f[base + k]!));
      const at = Math.floor(t);
      ctx.schedule(at, () => this.sim.emit.predict(this.person, at, model, q, { ua: UA.airflow }));
      t += r.uniform(3, 30) * 1000;
    }
  }
}

/** Nightly backups: uniformly sized encrypted chunks to a sanctioned destination. */
export class BackupJob extends Actor {
  private readonly chunk = Math.round(draw(this.rng, this.sim.cfg.decoys.backup.chunkMiB)) * 1048576;
  private readonly dest = 'halcyontx-backup.s3.eu-central-1.amazonaws.com';

  planDay(ctx: DayCtx): void {
    const r = this.rng;
    const n = drawInt(r, this.sim.cfg.decoys.backup.chunksPerNight);
    let t = this.local(ctx, r.uniform(1, 1.5));
    const stamp = isoDate(ctx.dayStart).replaceAll('-', '');
    for (let i = 1; i <= n; i++) {
      const size = i === n ? r.int(1, this.chunk) : this.chunk;
      const file = { name: `nightly-${stamp}.tar.zst.gpg.part-${String(i).padStart(4, '0')}`, size, entropy: r.uniform(7.9991, 7.99995) };
      const at = Math.floor(t);
      ctx.schedule(at, () => this.sim.emit.dlp(this.person, at, this.dest, file, { app: 'rclone' }));
      t += size / r.uniform(60_000, 120_000) + r.uniform(1000, 5000);
    }
  }
}

/** A researcher's announced virtual-screening campaign: many diverse molecules for one to two weeks. */
export class Screener extends HumanActor {
  readonly window: [number, number];
  private readonly stream: DiverseStream;

  constructor(person: Person, sim: SimContext) {
    super(person, sim);
    const r = this.rng;
    const len = drawInt(r, sim.cfg.decoys.virtualScreening.days);
    const start = r.int(Math.min(5, sim.days - 1), Math.max(Math.min(5, sim.days - 1), sim.days - Math.round(len * 1.5) - 1));
    this.window = [start, Math.min(sim.days - 1, start + Math.round(len * 1.4))];
    // Screens a purchasable-like space: everything outside the library plus library singletons.
    this.stream = new DiverseStream(sim.pool, sim.world.library.publicClusters, Rng.derive(sim.seed, 'screening-order'));
  }

  override planDay(ctx: DayCtx): void {
    // The campaign is planned: the researcher is at work on every weekday of it.
    const campaign = !ctx.weekend && ctx.day >= this.window[0] && ctx.day <= this.window[1];
    if (!campaign && !this.working(ctx)) return;
    this.planPredictions(ctx);
    this.planUploads(ctx);
    if (!campaign) return;
    const r = this.rng;
    const mols = drawInt(r, this.sim.cfg.decoys.virtualScreening.moleculesPerDay);
    const model = this.sim.world.modelByName.get('binding-affinity-predictor')!;
    let t = this.local(ctx, r.uniform(this.h.startHour, this.h.startHour + 2));
    for (let done = 0; done < mols; done += 100) {
      const q: Query[] = [];
      for (let k = 0; k < 100; k++) q.push(poolQuery(this.sim.pool, this.stream.next()));
      const at = Math.floor(t);
      ctx.schedule(at, () => this.sim.emit.predict(this.person, at, model, q, { ua: UA.requests }));
      t += r.uniform(20, 200) * 1000;
    }
  }
}

/** A data scientist who downloads several of their own project's models for a retraining job on one or two days. */
export class Retrainer extends DataScientist {
  readonly retrainDays: number[];
  constructor(person: Person, sim: SimContext) {
    super(person, sim);
    const r = this.rng;
    const d = r.int(Math.min(10, sim.days - 1), Math.max(Math.min(10, sim.days - 1), sim.days - 5));
    this.retrainDays = r.chance(0.5) ? [d] : [d, Math.min(sim.days - 1, d + 1)];
  }

  override planDay(ctx: DayCtx): void {
    super.planDay(ctx);
    if (!this.retrainDays.includes(ctx.day)) return;
    const r = this.rng;
    const own = this.ownModels();
    const k = Math.min(own.length, drawInt(r, this.sim.cfg.decoys.retraining.models));
    const picks = r.sample(own.length, Math.ceil(k / this.retrainDays.length)).map((i) => own[i]!);
    let t = this.local(ctx, r.uniform(9, 11));
    for (const m of picks) {
      // The retraining pipeline uses the MLflow client: download URI, then the files from object storage.
      t = this.download(ctx, Math.floor(t), m, undefined, undefined, 'minio') + r.int(60_000, 900_000);
    }
    this.trainingRun(ctx, Math.floor(t));
  }
}

/** Schedules HR events for someone leaving. */
export function resignationEvents(sim: SimContext, actor: Actor, ctx: DayCtx, resignDay: number, lastDay: number): void {
  const p = actor.person;
  if (ctx.day === resignDay) {
    const t = actor.local(ctx, actor.rng.uniform(9, 16));
    const lwd = isoDate(sim.startMs + lastDay * DAY_MS);
    ctx.schedule(t, () => sim.emit.hr(p, t, 'resignation_submitted', { effective_date: isoDate(t), last_working_day: lwd }));
  }
  if (ctx.day === lastDay) {
    const t = Math.floor(ctx.dayStart + 17 * HOUR_MS);
    ctx.schedule(t, () => sim.emit.hr(p, t, 'last_working_day', { effective_date: isoDate(t), last_working_day: isoDate(t) }));
  }
}

/** Somebody who resigns and keeps working normally until their last day. */
export class Resigner extends DataScientist {
  readonly resignDay: number;
  readonly leaveDay: number;
  constructor(person: Person, sim: SimContext) {
    super(person, sim);
    const r = this.rng;
    this.resignDay = weekdayOnOrAfter(sim, r.int(Math.floor(sim.days * 0.2), Math.max(Math.floor(sim.days * 0.2), Math.floor(sim.days * 0.6))));
    this.leaveDay = this.resignDay + drawInt(r, sim.cfg.decoys.resigner.noticeDays);
    this.lastDay = this.leaveDay;
  }
  override planDay(ctx: DayCtx): void {
    resignationEvents(this.sim, this, ctx, this.resignDay, this.leaveDay);
    if (this.person.team === 'comp-chem') super.planDay(ctx);
    else if (this.working(ctx)) {
      this.planPredictions(ctx);
      this.planUploads(ctx);
    }
  }
}

export function weekdayOnOrAfter(sim: SimContext, day: number): number {
  let d = day;
  for (;;) {
    const wd = new Date(sim.startMs + d * DAY_MS).getUTCDay();
    if (wd !== 0 && wd !== 6) return d;
    d++;
  }
}

/** Occasional role changes recorded by HR. */
export class HrNoise extends Actor {
  private readonly changes = new Map<number, Person>();
  constructor(person: Person, sim: SimContext, candidates: Person[]) {
    super(person, sim, 'hr-noise');
    const r = this.rng;
    const n = drawInt(r, sim.cfg.benign.roleChanges);
    const who = r.sample(candidates.length, n).map((i) => candidates[i]!);
    for (const p of who) this.changes.set(weekdayOnOrAfter(sim, r.int(0, Math.max(0, sim.days - 3))), p);
  }
  planDay(ctx: DayCtx): void {
    const p = this.changes.get(ctx.day);
    if (!p) return;
    const t = Math.floor(ctx.dayStart + this.rng.uniform(8, 15) * HOUR_MS);
    ctx.schedule(t, () => this.sim.emit.hr(p, t, 'role_change', { effective_date: isoDate(t + 14 * DAY_MS), previous_role: p.role, new_role: p.role.startsWith('senior') ? p.role.replace('senior_', 'principal_') : `senior_${p.role}` }));
  }
}
