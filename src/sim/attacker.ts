/**
 * The insider: a senior comp-chem data scientist who resigns and, during the
 * notice period, runs the six phases of SC-099 "Operation MIRROR MIND" while
 * keeping up his normal work. Timings are fractions of the attack window (so
 * a short --days compresses rather than drops phases); volumes, times and
 * sizes are drawn from the configured ranges.
 */
import type { DayCtx, SimContext } from './actors.js';
import { DataScientist, DiverseStream, resignationEvents, weekdayOnOrAfter } from './actors.js';
import { enumerate } from './enumerate.js';
import type { PhaseId } from './emit.js';
import { UA } from './emit.js';
import type { Query } from './models.js';
import { Rng } from './rng.js';
import type { ModelDef, Person } from './world.js';
import { draw, drawInt } from './world.js';

export interface AttackTimeline {
  resign: number;
  leave: number;
  recon: [number, number];
  extraction: [number, number];
  sideChannel: [number, number];
  theft: number[];
  membership: [number, number];
  exfiltration: [number, number];
}

const PERSONAL_DRIVES = ['drive.google.com', 'www.dropbox.com', 'mega.nz', 'onedrive.live.com', 'app.box.com'];
const INVALID_KINDS = /^(invalid|not_smiles|very_long_invalid)/;

function suffix(i: number): string {
  // split(1) suffixes: aa, ab, ..., az, ba, ...
  const a = 'abcdefghijklmnopqrstuvwxyz';
  return a[Math.floor(i / 26) % 26]! + a[i % 26]!;
}

export class Attacker extends DataScientist {
  readonly timeline: AttackTimeline;
  private readonly variant: string;
  private readonly ar: Rng;
  private readonly diverse: DiverseStream;
  private readonly libOrder: Int32Array;
  private libPos = 0;
  private extracted = 0;
  private readonly extractTarget: number;
  private miDone = 0;
  private readonly miTarget: number;
  private readonly lowConf: number[] = [];
  private interpPos = 0;
  private readonly interp: number[];
  private readonly primary: ModelDef;
  private readonly secondary: ModelDef | null;
  private readonly secondaryShare: number;
  private readonly chunk: number;
  private readonly chunks: number;
  private chunkNo = 0;
  private readonly drive: string;
  private readonly weekendProb: number;

  constructor(person: Person, sim: SimContext) {
    super(person, sim);
    this.variant = sim.world.variant;
    this.ar = Rng.derive(sim.seed, 'attack');
    const a = sim.cfg.attack;
    const r = this.ar;
    this.timeline = this.plan();
    this.lastDay = this.timeline.leave;
    this.diverse = new DiverseStream(sim.pool, sim.world.library.publicClusters, Rng.derive(sim.seed, 'attack-diverse'));
    this.libOrder = Int32Array.from(r.shuffle(Array.from(sim.world.library.members)));
    this.interp = r.shuffle(Array.from({ length: sim.pool.probes.interpolations.length }, (_, i) => i));
    this.extractTarget = drawInt(r, a.extraction.molecules);
    this.miTarget = drawInt(r, a.membershipInference.queries);
    this.primary = sim.world.modelByName.get('binding-affinity-predictor')!;
    this.secondary = r.chance(a.extraction.secondaryTargetProb) ? sim.world.modelByName.get(r.pick(['kinase-selectivity-predictor', 'bace1-activity-predictor']))! : null;
    this.secondaryShare = draw(r, a.extraction.secondaryShare);
    this.chunk = Math.round(draw(r, a.exfiltration.chunkMiB)) * 1048576;
    this.chunks = Math.ceil((draw(r, a.exfiltration.archiveGiB) * 1073741824) / this.chunk);
    this.drive = r.pick(PERSONAL_DRIVES);
    this.weekendProb = draw(r, a.extraction.weekendDayProb);
  }

  private plan(): AttackTimeline {
    const sim = this.sim;
    const r = Rng.derive(sim.seed, 'attack-timeline');
    const days = sim.days;
    const notice = sim.cfg.attack.noticeDays;
    const slow = this.variant === 'low-and-slow';
    const lead = slow ? Math.round(sim.cfg.attack.lowAndSlow.extractionDays * r.uniform(0.55, 0.62)) : 0;
    const lo = Math.max(3, Math.floor(days * 0.3), lead + 4);
    const hi = days - notice - 2;
    const resign = Math.max(0, Math.min(days - 2, weekdayOnOrAfter(sim, hi >= lo ? r.int(lo, hi) : Math.max(1, Math.min(lo, Math.floor(days * 0.45))))));
    const leave = resign + notice;
    const end = Math.min(leave - 1, days - 1);
    // The campaign starts the day after the resignation is handed in.
    const first = Math.min(end, resign + 1);
    const w = Math.max(1, end - first + 1);
    const f = (x: number): number => Math.min(end, first + Math.round(x * (w - 1)));
    // Reconnaissance first (on at least one working day), then extraction from the next day on.
    const recon: [number, number] = [first, Math.max(first, f(r.uniform(0.03, 0.1)))];
    recon[1] = Math.min(end, Math.max(recon[1], weekdayOnOrAfter(sim, recon[0])));
    let extraction: [number, number] = [Math.min(end, Math.max(recon[1] + 1, f(r.uniform(0.02, 0.08)))), f(r.uniform(0.92, 0.98))];
    if (slow) {
      const xs = Math.max(3, resign - lead);
      const len = Math.round(sim.cfg.attack.lowAndSlow.extractionDays * Math.min(1, (end - xs + 1) / sim.cfg.attack.lowAndSlow.extractionDays));
      extraction = [xs, Math.min(end, xs + len - 1)];
      let rs = xs - 1;
      while (rs > 0 && [0, 6].includes(new Date(sim.startMs + rs * 86_400_000).getUTCDay())) rs--;
      recon[0] = Math.max(0, rs - r.int(0, 2));
      recon[1] = Math.max(recon[0], xs - 1);
    }
    const t1 = weekdayOnOrAfter(sim, f(r.uniform(0.15, 0.32)));
    const theft = drawInt(r, sim.cfg.attack.artifactTheft.days) === 1 ? [Math.min(end, t1)] : [Math.min(end, t1), Math.min(end, weekdayOnOrAfter(sim, t1 + r.int(1, 3)))];
    const sideChannel: [number, number] = [f(r.uniform(0.28, 0.36)), f(r.uniform(0.7, 0.8))];
    const membership: [number, number] = [f(r.uniform(0.42, 0.5)), f(r.uniform(0.88, 0.95))];
    const exLen = Math.max(1, Math.round(drawInt(r, sim.cfg.attack.exfiltration.days) * Math.min(1, w / notice)));
    const exStart = Math.min(end, Math.max(theft[theft.length - 1]! + 1, end - exLen + 1));
    return { resign, leave, recon, extraction, sideChannel, theft, membership, exfiltration: [exStart, end] };
  }

  private inRange(day: number, r: [number, number]): boolean {
    return day >= r[0] && day <= r[1];
  }

  override planDay(ctx: DayCtx): void {
    if (this.variant !== 'no-hr') {
      resignationEvents(this.sim, this, ctx, this.timeline.resign, this.timeline.leave);
    }
    super.planDay(ctx);
    if (ctx.day > this.timeline.leave - 1) return;
    const tl = this.timeline;
    const slow = this.variant === 'low-and-slow';
    const active = !ctx.weekend || (!slow && this.ar.chance(this.weekendProb));
    if (this.inRange(ctx.day, tl.recon) && !ctx.weekend) this.recon(ctx);
    if (this.inRange(ctx.day, tl.extraction) && active && this.extracted < this.extractTarget) this.extraction(ctx);
    if (tl.theft.includes(ctx.day)) this.theft(ctx);
    if (this.inRange(ctx.day, tl.sideChannel) && active) this.sideChannel(ctx);
    if (this.inRange(ctx.day, tl.membership) && active && this.miDone < this.miTarget) this.membership(ctx);
    if (this.inRange(ctx.day, tl.exfiltration) && (!ctx.weekend || this.ar.chance(0.35))) this.exfiltration(ctx);
  }

  /** Working-hours times for `n` actions, spread to blend in. */
  private spread(ctx: DayCtx, n: number, from = this.h.startHour + 0.2, to = this.h.startHour + this.h.dayLength): number[] {
    const r = this.ar;
    const out: number[] = [];
    for (let i = 0; i < n; i++) out.push(this.local(ctx, from + ((to - from) * (i + r.uniform(0.05, 0.95))) / n));
    return out.sort((a, b) => a - b);
  }

  private recon(ctx: DayCtx): void {
    const r = this.ar;
    const e = this.sim.emit;
    const p = this.person;
    const models = this.sim.world.models;
    const phase: PhaseId = 'recon';
    const span = this.timeline.recon[1] - this.timeline.recon[0] + 1;
    const steps = Math.max(1, Math.round(r.int(10, 24) / span));
    const ts = this.spread(ctx, steps);
    const host = `https://${this.sim.cfg.company.mlflowHost}/`;
    ts.forEach((t, i) => {
      const k = (i + ctx.day) % 6;
      ctx.schedule(t, () => {
        if (k === 0) e.mlflow(p, t, 'GET', '/api/2.0/mlflow/registered-models/search?max_results=1000', { bytes: r.int(20000, 60000), phase });
        else if (k === 1) e.platform(p, t, 'endpoint_list', { count: models.length, phase });
        else if (k === 2) {
          e.minio(p, t, 'ListBuckets', '', { ua: UA.mc, phase });
          e.minio(p, t + r.int(800, 4000), 'ListObjectsV2', 'models', { prefix: '', ua: UA.mc, phase });
        } else if (k === 3) {
          for (const [j, m] of r.sample(models.length, r.int(3, 7)).map((x) => models[x]!).concat([this.sim.world.modelByName.get('toxicity-classifier')!, this.sim.world.modelByName.get('admet-predictor')!]).entries()) {
            e.minio(p, t + j * r.int(2000, 9000), 'ListObjectsV2', 'models', { prefix: `${m.name}/`, ua: UA.mc, phase });
          }
        } else if (k === 4) {
          for (const [j, m] of r.sample(models.length, r.int(4, 9)).map((x) => models[x]!).entries()) {
            e.mlflow(p, t + j * r.int(5000, 40000), 'GET', `/ajax-api/2.0/mlflow/registered-models/get?name=${m.name}`, { ua: UA.browser, bytes: r.int(900, 3500), referer: host, phase });
          }
        } else {
          e.platform(p, t, 'registry_list', { count: models.length, phase });
          for (const [j, m] of [this.sim.world.modelByName.get('toxicity-classifier')!, this.sim.world.modelByName.get('admet-predictor')!].entries()) {
            e.platform(p, t + (j + 1) * r.int(20_000, 120_000), 'registry_get', { model: m, phase });
          }
        }
      });
    });
  }

  /** Which identity and key a batch goes out under (sybil: split across borrowed keys). */
  private identity(): { keyOwner?: Person; ua: string } {
    const roles = this.sim.world.roles;
    if (this.variant !== 'sybil') return { ua: UA.requests };
    const u = this.ar.next();
    if (u < 0.28) return { ua: UA.requests };
    if (u < 0.52 && roles.borrowedService) return { keyOwner: roles.borrowedService, ua: UA.airflow };
    if (u < 0.76) return { keyOwner: roles.leakedKeyOwners[0]!, ua: UA.requests };
    return { keyOwner: roles.leakedKeyOwners[1] ?? roles.leakedKeyOwners[0]!, ua: UA.httpx };
  }

  private probe(): Query {
    const r = this.ar;
    const pr = this.sim.pool.probes;
    if (r.chance(0.45)) {
      const e = r.pick(pr.edgeCases);
      return { smiles: e.smiles, poolIdx: -1, invalid: e.valid === false || (e.valid === undefined && INVALID_KINDS.test(e.kind)) };
    }
    return { smiles: r.pick(pr.boundary).smiles, poolIdx: -1 };
  }

  private extractionBatch(size: number): { q: Query[]; kind: 'diverse' | 'enumeration' | 'interpolation' } {
    const r = this.ar;
    const mix = this.sim.cfg.attack.extraction.mix;
    const w = [draw(r, mix.diverse), draw(r, mix.enumeration), draw(r, mix.interpolation)];
    const kind = (['diverse', 'enumeration', 'interpolation'] as const)[r.weighted(w)]!;
    const q: Query[] = [];
    const pool = this.sim.pool;
    if (kind === 'enumeration') {
      const en = pool.probes.enumeration;
      const core = r.pick(en.cores);
      const n = en.rgroups.length;
      for (const k of r.sample(n * n, size)) q.push({ smiles: enumerate(core, en.rgroups[Math.floor(k / n)]!, en.rgroups[k % n]!), poolIdx: -1 });
    } else if (kind === 'interpolation' && this.interpPos < this.interp.length) {
      for (let i = 0; i < size && this.interpPos < this.interp.length; i++) q.push({ smiles: pool.probes.interpolations[this.interp[this.interpPos++]!]!, poolIdx: -1 });
    }
    if (q.length === 0 || kind === 'diverse') {
      const probes = drawInt(r, this.sim.cfg.attack.extraction.probesPerBatch);
      for (let i = q.length; i < size; i++) {
        if (i < probes) q.push(this.probe());
        else {
          const idx = this.diverse.next();
          q.push({ smiles: pool.smiles[idx]!, poolIdx: idx });
        }
      }
      r.shuffle(q);
      return { q, kind: 'diverse' };
    }
    return { q, kind };
  }

  private extraction(ctx: DayCtx): void {
    const r = this.ar;
    const a = this.sim.cfg.attack;
    const slow = this.variant === 'low-and-slow';
    const n = slow ? drawInt(r, a.lowAndSlow.batchesPerDay) : drawInt(r, a.extraction.batchesPerDay);
    const ip = r.chance(0.2) ? this.person.vpnIp : this.person.ip;
    const ts = this.spread(ctx, n);
    for (const t of ts) {
      const size = slow ? drawInt(r, a.lowAndSlow.batchSize) : this.sim.cfg.platform.maxBatch;
      if (this.extracted >= this.extractTarget) break;
      const { q } = this.extractionBatch(Math.min(size, this.extractTarget - this.extracted));
      this.extracted += q.length;
      const model = this.secondary && r.chance(this.secondaryShare) ? this.secondary : this.primary;
      const id = this.identity();
      ctx.schedule(t, () => {
        const confs = this.sim.emit.predict(this.person, t, model, q, { ...id, ip, phase: 'api_extraction' });
        confs.forEach((c, i) => {
          const idx = q[i]!.poolIdx;
          if (c !== null && idx >= 0 && c < this.sim.cfg.attack.sideChannel.lowConfidence && this.lowConf.length < 5000) this.lowConf.push(idx);
        });
      });
    }
    // Legitimate-looking queries in the focus area, mixed in.
    const cam = drawInt(r, a.extraction.camouflagePerDay);
    for (const t of this.spread(ctx, cam)) {
      const q = Array.from({ length: r.int(1, 8) }, () => this.molecule());
      ctx.schedule(t, () => this.sim.emit.predict(this.person, t, this.primary, q, { ip }));
    }
  }

  private sideChannel(ctx: DayCtx): void {
    const r = this.ar;
    const n = drawInt(r, this.sim.cfg.attack.sideChannel.requestsPerDay) * (this.variant === 'low-and-slow' ? 0.4 : 1);
    const pool = this.sim.pool;
    for (const t of this.spread(ctx, Math.max(1, Math.round(n)))) {
      const u = r.next();
      ctx.schedule(t, () => {
        let q: Query[] = [];
        if (u < 0.5 && this.lowConf.length) {
          // Confidence-guided: the low-confidence molecule again, then its series and nearest series.
          const idx = this.lowConf[r.int(0, this.lowConf.length - 1)]!;
          q.push({ smiles: pool.smiles[idx]!, poolIdx: idx });
          const c = pool.cluster[idx]!;
          for (const cl of [c, ...(pool.clusterNeighbours[c] ?? [])]) {
            const s = pool.clusterStart[cl]!;
            for (let i = s; i < s + pool.clusterSize[cl]! && q.length < 60; i++) if (i !== idx) q.push({ smiles: pool.smiles[i]!, poolIdx: i });
          }
          if (q.length < 3) {
            const ser = r.pick(pool.probes.perturbations);
            q.push(...ser.members.map((m) => ({ smiles: m.smiles, poolIdx: -1 })));
          }
        } else if (u < 0.88) {
          // A perturbation series: a base molecule and its single-edit neighbours.
          const ser = r.pick(pool.probes.perturbations);
          q = [{ smiles: ser.base, poolIdx: -1 }, ...ser.members.map((m) => ({ smiles: m.smiles, poolIdx: -1 }))];
        } else {
          // Isolated functional groups.
          const fg = pool.probes.functionalGroups;
          q = r.sample(fg.length, r.int(8, fg.length)).map((i) => ({ smiles: fg[i]!.smiles, poolIdx: -1 }));
        }
        this.sim.emit.predict(this.person, t, this.primary, q, { ip: this.person.ip, phase: 'side_channel' });
      });
    }
  }

  private theft(ctx: DayCtx): void {
    const r = this.ar;
    const world = this.sim.world;
    const targets = [world.modelByName.get('toxicity-classifier')!, world.modelByName.get('admet-predictor')!];
    const todays = this.timeline.theft.length === 1 ? targets : this.timeline.theft.indexOf(ctx.day) === 0 ? targets.slice(0, 1) : targets.slice(1);
    let t = this.local(ctx, r.uniform(this.h.startHour + 1, this.h.startHour + this.h.dayLength - 2));
    const e = this.sim.emit;
    for (const m of todays) {
      const t0 = t;
      ctx.schedule(t0, () => {
        e.mlflow(this.person, t0, 'GET', `/api/2.0/mlflow/registered-models/get?name=${m.name}`, { bytes: r.int(1200, 4000), phase: 'artifact_theft' });
        e.mlflow(this.person, t0 + r.int(2000, 9000), 'GET', `/api/2.0/mlflow/model-versions/get?name=${m.name}&version=${m.version}`, { bytes: r.int(700, 1500), phase: 'artifact_theft' });
      });
      t = this.download(ctx, t0 + 12_000, m, 'artifact_theft') + r.int(5 * 60_000, 40 * 60_000);
    }
  }

  private membership(ctx: DayCtx): void {
    const r = this.ar;
    const a = this.sim.cfg.attack;
    const slow = this.variant === 'low-and-slow';
    const batch = drawInt(r, a.membershipInference.batchSize);
    const span = Math.max(1, this.timeline.membership[1] - ctx.day + 1);
    const perDay = slow ? drawInt(r, a.lowAndSlow.miBatchesPerDay) : Math.max(1, Math.round(((this.miTarget - this.miDone) / batch / span) * r.uniform(1.1, 1.6) * 1.4));
    const lib = this.libOrder;
    for (const t of this.spread(ctx, perDay)) {
      if (this.miDone >= this.miTarget || this.libPos >= lib.length) break;
      const q: Query[] = [];
      while (q.length < batch && this.libPos < lib.length && this.miDone + q.length < this.miTarget) {
        const idx = lib[this.libPos++]!;
        q.push({ smiles: this.sim.pool.smiles[idx]!, poolIdx: idx });
      }
      this.miDone += q.length;
      ctx.schedule(t, () => this.sim.emit.predict(this.person, t, this.primary, q, { ip: this.person.ip, phase: 'membership_inference' }));
    }
  }

  private exfiltration(ctx: DayCtx): void {
    if (this.chunkNo >= this.chunks) return;
    const r = this.ar;
    const e = this.timeline.exfiltration[1];
    const daysLeft = Math.max(1, e - ctx.day + 1);
    const left = this.chunks - this.chunkNo;
    const n = ctx.day >= e ? left : Math.min(left, Math.max(1, Math.round((left / daysLeft) * r.uniform(0.9, 1.8))));
    // Evenings and lunch breaks.
    let t = this.local(ctx, r.chance(0.7) ? r.uniform(18.5, 21.5) : r.uniform(12, 13));
    for (let i = 0; i < n; i++) {
      const k = this.chunkNo++;
      const size = this.chunkNo === this.chunks ? r.int(this.chunk / 8, this.chunk) : this.chunk;
      const file = { name: `research_notes_${suffix(k)}`, size, entropy: r.uniform(7.999, 7.9999) };
      const at = Math.floor(t);
      ctx.schedule(at, () => this.sim.emit.dlp(this.person, at, this.drive, file, { phase: 'exfiltration' }));
      t += size / r.uniform(1_500_000, 6_000_000) * 1000 + r.uniform(5_000, 120_000);
    }
  }
}

