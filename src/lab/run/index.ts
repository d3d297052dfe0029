/**
 * `mirrorwatch lab run`: real victims on MoleculeNet data, served behind the
 * real gateway, attacked over loopback HTTP under each defence, measured.
 *
 * One gateway per policy, each on its own virtual timeline: researchers work
 * for a few days first (their baseline), then the attacks run one after the
 * other, each from its own principal(s) on a fresh working morning, while the
 * researchers keep working; after the last attack the researchers finish
 * their days. Detection points are counted in the attacker's queries sent.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import type { Alert } from '../../detect/alert.js';
import { buildContext, type DetectionContext } from '../../detect/types.js';
import { createChem } from '../../chem/index.js';
import { loadLabData, type LabData } from '../data/index.js';
import { trainVictims } from '../learn/index.js';
import { runBenignTraffic, runExtraction, runMembershipInference, runSybilExtraction, type ExtractionResult, type MembershipResult, type StrategyName } from '../attacks/index.js';
import { startLabGateway, LAB_BATCH_CAP, type LabGateway } from '../harness/gateway.js';
import { createHttpOracle, type HttpOracle, type Task } from '../harness/oracle.js';
import { Rng } from '../../sim/rng.js';
import { DAY_MS, nextHour, Timeline, timelineGate } from '../harness/timeline.js';
import { DEFAULT_POLICY, LAB_POLICIES, type LabPolicy } from '../policies/index.js';
import { validateLabResult, type LabAttack, type LabMembership, type LabResult } from '../report/index.js';
import { DEFAULT_VICTIM_NAMES, startVictimServer } from '../victim-server/index.js';
import type { ClassificationAnswer, Molecule, MultiLabelClassifier, RegressionAnswer, Regressor } from '../types.js';

export interface LabRunOptions {
  seed: number;
  quick: boolean;
  /** Policy names to run (default: all); the default policy and `full` are always run (the floor compares them). */
  policies?: readonly string[];
  onProgress?: (p: { stage: string; done: number; total: number }) => void;
}

/**
 * How the lab's chemists work: one series for weeks (a 300-compound
 * neighbourhood), 10 to 120 compounds a day, a third of them compounds they
 * asked about before (re-checking leads as the series evolves).
 */
const RESEARCH_HABITS = { seriesSize: 300, perDay: [10, 120] as [number, number], repeatShare: 0.3 };

/** Monday 5 January 2026, 00:00 UTC: the lab's day 0. */
const T0 = Date.UTC(2026, 0, 5);

interface Plan {
  checkpoints: number[];
  regressorStrategies: Array<StrategyName>;
  classifierStrategies: Array<StrategyName>;
  sybilKeys: number;
  membershipPerSide: number;
  shadow: { shadows: number; trainSize: number };
  researchers: number;
  /** Held-out public molecules fidelity is measured on. */
  evalMolecules: number;
  warmupDays: number;
  /** Virtual time between an attacker's requests (of LAB_BATCH_CAP instances). */
  attackPaceMs: number;
}

// The curve points (1k, 5k, 10k, 50k); quick keeps the part below 5,000 where the detection floor lies.
const FULL: Plan = { checkpoints: [1000, 5000, 10_000, 50_000], regressorStrategies: ['random', 'maxmin', 'active'], classifierStrategies: ['random', 'active'], sybilKeys: 4, membershipPerSide: 500, shadow: { shadows: 4, trainSize: 1000 }, researchers: 6, evalMolecules: 2000, warmupDays: 10, attackPaceMs: 30_000 };
const QUICK: Plan = { checkpoints: [500, 1000, 2000, 5000], regressorStrategies: ['random', 'active'], classifierStrategies: ['random'], sybilKeys: 4, membershipPerSide: 200, shadow: { shadows: 2, trainSize: 400 }, researchers: 4, evalMolecules: 1000, warmupDays: 5, attackPaceMs: 30_000 };

/** A seeded held-out slice of the pool for fidelity; the rest is what attackers may query. */
function splitPool(pool: readonly Molecule[], n: number, seed: number): { attackPool: Molecule[]; heldOut: Molecule[] } {
  const idx = Rng.derive(seed, 'lab-eval-slice').shuffle(pool.map((_, i) => i));
  const held = new Set(idx.slice(0, n));
  return { attackPool: pool.filter((_, i) => !held.has(i)), heldOut: idx.slice(0, n).map((i) => pool[i]!) };
}

interface Victims {
  regressor: Regressor;
  classifier: MultiLabelClassifier;
  metrics: LabResult['victims'];
}

function trainBoth(data: LabData, seed: number): Victims {
  const t = trainVictims(data, { seed });
  const metrics = t.metrics.map((m) => {
    if (m.value === null) throw new Error(`victim ${m.name}: held-out ${m.metric} is undefined on this split`);
    return { ...m, value: m.value };
  });
  return { regressor: t.regressor, classifier: t.classifier, metrics };
}

const BLOCK_CODES = new Set(['MW_ERR_GW_PRINCIPAL_BLOCKED', 'MW_ERR_GW_STEP_UP_REQUIRED']);

/** Detection points of one attack: the attacker's queries sent when its principals were first alerted on, in an incident, and stopped. */
class DetectionWatch {
  sent = 0;
  firstAlert: number | null = null;
  incident: number | null = null;
  block: number | null = null;
  constructor(
    private readonly gw: LabGateway,
    private readonly principals: ReadonlySet<string>,
    private readonly oracles: () => ReadonlyArray<HttpOracle<unknown>>,
  ) {}

  observe(): void {
    this.sent = this.oracles().reduce((s, o) => s + o.sent, 0);
    if (this.firstAlert === null && this.gw.alerts().some((a) => this.principals.has(a.principal))) this.firstAlert = this.sent;
    if (this.incident === null && this.gw.incidents().some((i) => i.principals.some((p) => this.principals.has(p)))) this.incident = this.sent;
    // A Sybil attack is blocked when its last key is; a spent budget is not a block (the floor table shows both).
    if (this.block === null && this.oracles().every((o) => o.stopped && BLOCK_CODES.has(o.stopCode ?? ''))) this.block = this.sent;
  }
}

export async function runLab(options: LabRunOptions): Promise<LabResult> {
  const plan = options.quick ? QUICK : FULL;
  const seed = options.seed;
  const progress = options.onProgress ?? (() => undefined);
  const timings: Record<string, number> = {};
  const timed = async <T>(name: string, f: () => Promise<T> | T): Promise<T> => {
    const t = performance.now();
    try {
      return await f();
    } finally {
      timings[name] = Math.round(performance.now() - t);
    }
  };

  const data = await timed('data', () => loadLabData({ seed, quick: options.quick, onProgress: (done, total) => progress({ stage: 'fingerprints', done, total }) }));
  const victims = await timed('victims', () => trainBoth(data, seed));

  // Every molecule the lab sends is one it fingerprinted already; RDKit only for anything else a client might send.
  const known = new Map<string, Uint8Array>();
  for (const m of [...data.pool, ...data.bace.train, ...data.bace.test, ...data.tox21.train, ...data.tox21.test]) known.set(m.smiles, m.fp);
  const chem = await createChem();
  const featurise = (s: string): Uint8Array | null => known.get(s) ?? chem.fingerprint(s);
  const canonical = (s: string): string | null => (known.has(s) ? s : chem.canonical(s));

  const server = await startVictimServer({ regressor: victims.regressor, classifier: victims.classifier, featurise });
  const policies = LAB_POLICIES.filter((p) => !options.policies || options.policies.includes(p.name) || p.name === DEFAULT_POLICY || p.name === 'full');
  // Fidelity is measured where the attacker means to use the copy: public molecules it never sent (a held-out
  // slice of the pool), as Tramèr et al. and Orekondy et al. measure agreement on inputs the attacker did not query.
  const { attackPool, heldOut } = splitPool(data.pool, plan.evalMolecules, seed);
  const evalReg = heldOut;
  const regOnEval = victims.regressor.predict(evalReg.map((m) => m.fp));
  const evalClf = heldOut;
  const clfOnEval = victims.classifier.predictProba(evalClf.map((m) => m.fp));

  const attacks: LabAttack[] = [];
  const membership: LabMembership[] = [];
  const utility: LabResult['benign']['utility'] = [];
  let benignQueries = 0;
  let falsePositives = 0;
  try {
    for (const [pi, policy] of policies.entries()) {
      const dir = mkdtempSync(join(tmpdir(), 'mw-lab-'));
      try {
        const r = await timed(`policy:${policy.name}`, () =>
          runPolicy({ policy, plan, seed, data, attackPool, victims, upstream: server.url, dir, featurise, canonical, evalReg, regOnEval, evalClf, clfOnEval, progress: (done, total) => progress({ stage: `policy ${pi + 1}/${policies.length} ${policy.name}`, done, total }) }),
        );
        attacks.push(...r.attacks);
        membership.push(...r.membership);
        utility.push(...r.utility);
        benignQueries += r.benignQueries;
        falsePositives += r.falsePositives;
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  } finally {
    await server.close();
  }

  const result: LabResult = {
    seed,
    quick: options.quick,
    victims: victims.metrics,
    policies: policies.map((p) => ({ name: p.name, description: p.description })),
    attacks,
    membership,
    benign: { queries: benignQueries, false_positive_alerts: falsePositives, utility },
    reference: reference(attacks),
    timings_ms: timings,
  };
  return validateLabResult(result);
}

/**
 * The floor: BACE surrogate R² from the largest unprotected query
 * count against R² from everything received before the default policy
 * stopped the attacker, over every single-key BACE extraction strategy (the
 * attacker's best case on each side).
 */
function reference(attacks: readonly LabAttack[]): LabResult['reference'] {
  const bace = attacks.filter((a) => a.victim === DEFAULT_VICTIM_NAMES.regressor && a.keys === 1 && a.name.startsWith('extraction'));
  const best = (list: LabAttack[], pick: (a: LabAttack) => number | null): number | null => {
    const v = list.map(pick).filter((x): x is number => x !== null);
    return v.length > 0 ? Math.max(...v) : null;
  };
  const unprotected = best(
    bace.filter((a) => a.policy === 'full'),
    (a) => a.fidelity.at(-1)?.r2 ?? null,
  );
  const protectedR2 = best(
    bace.filter((a) => a.policy === DEFAULT_POLICY),
    (a) => a.fidelity.at(-1)?.r2 ?? null,
  );
  return { unprotected_r2_at_max: unprotected, protected_r2_before_block: protectedR2, gap: unprotected !== null && protectedR2 !== null ? unprotected - protectedR2 : null };
}

interface PolicyRunInput {
  policy: LabPolicy;
  plan: Plan;
  seed: number;
  data: LabData;
  victims: Victims;
  upstream: string;
  dir: string;
  featurise: (s: string) => Uint8Array | null;
  canonical: (s: string) => string | null;
  /** Public molecules attackers draw their queries from (the pool minus the held-out evaluation slice). */
  attackPool: Molecule[];
  evalReg: Molecule[];
  regOnEval: ReturnType<Regressor['predict']>;
  evalClf: Molecule[];
  clfOnEval: Float64Array[];
  progress: (done: number, total: number) => void;
}

interface PolicyRunResult {
  attacks: LabAttack[];
  membership: LabMembership[];
  utility: LabResult['benign']['utility'];
  benignQueries: number;
  falsePositives: number;
}

function labContext(data: LabData, featurise: (s: string) => Uint8Array | null, principals: readonly string[]): DetectionContext {
  return buildContext({
    directory: principals.map((p) => ({ principal: p, email: `${p}@lab.example`, displayName: null, team: 'chemistry', projects: ['bace', 'tox'], role: 'scientist', manager: 'head-of-chemistry', aliases: [] })),
    models: [
      { name: DEFAULT_VICTIM_NAMES.regressor, team: 'chemistry', classification: 'TRADE_SECRET', estimatedValue: 2_000_000, artifactLocation: null, architecture: 'gp-tanimoto', latestVersion: '1', tags: {} },
      { name: DEFAULT_VICTIM_NAMES.classifier, team: 'chemistry', classification: 'CONFIDENTIAL', estimatedValue: 500_000, artifactLocation: null, architecture: 'kernel-ridge-tanimoto', latestVersion: '1', tags: {} },
    ],
    // The victims' training compounds are the company's internal library: the membership detector watches for them.
    compounds: [...data.bace.train.map((m) => ({ smiles: m.smiles, canonical: m.smiles, id: null, set: 'internal-library' })), ...data.tox21.train.map((m) => ({ smiles: m.smiles, canonical: m.smiles, id: null, set: 'internal-library' }))],
    fingerprint: featurise,
  });
}

async function runPolicy(input: PolicyRunInput): Promise<PolicyRunResult> {
  const { policy, plan, seed, data, victims } = input;
  const researchers = Array.from({ length: plan.researchers }, (_, i) => `researcher-${i + 1}`);
  const attackers: string[] = [];
  const attackList: Array<{ name: string; task: Task; strategy: StrategyName; keys: number }> = [
    ...plan.regressorStrategies.map((s) => ({ name: `extraction-${s}`, task: 'regression' as const, strategy: s, keys: 1 })),
    ...plan.classifierStrategies.map((s) => ({ name: `extraction-${s}`, task: 'classification' as const, strategy: s, keys: 1 })),
    { name: 'sybil-random', task: 'regression', strategy: 'random', keys: plan.sybilKeys },
  ];
  attackList.forEach((a) => {
    for (let k = 0; k < a.keys; k++) attackers.push(`${a.name}-${a.task === 'regression' ? 'bace' : 'tox21'}-${k + 1}`);
  });
  attackers.push('membership-bace', 'membership-tox21');

  const tl = new Timeline(T0);
  const gw = await startLabGateway({ policy, upstream: input.upstream, models: DEFAULT_VICTIM_NAMES, dataDir: input.dir, timeline: tl, context: labContext(data, input.featurise, [...researchers, ...attackers]), canonicalSmiles: input.canonical });
  try {
    const oracle = <A extends RegressionAnswer | ClassificationAnswer>(principal: string, task: Task, paceMs: number, onRequest?: () => void): HttpOracle<A> =>
      createHttpOracle<A>({ base: gw.base, key: gw.key(principal), model: task === 'regression' ? DEFAULT_VICTIM_NAMES.regressor : DEFAULT_VICTIM_NAMES.classifier, task, timeline: tl, paceMs, batchSize: LAB_BATCH_CAP, agent: gw.agent, ...(onRequest ? { onRequest } : {}) });

    // Researchers: half on the affinity model, half on toxicity, self-paced over the whole run.
    const attackDays = attackList.length + 2 + (policy.budgets ? 6 * attackList.length : 0);
    const days = plan.warmupDays + attackDays;
    const half = Math.ceil(researchers.length / 2);
    const regGate = timelineGate(tl);
    const clfGate = timelineGate(tl);
    const benignReg = runBenignTraffic({
      task: 'regression',
      oracles: researchers.slice(0, half).map((p) => oracle<RegressionAnswer>(p, 'regression', 0)),
      victim: victims.regressor,
      // BACE-1 chemists work on analogues of their own (held-out) series, found in the public pool.
      pool: input.attackPool,
      anchors: data.bace.test.slice(0, 8),
      days,
      seed: seed * 1000 + 1,
      startMs: T0,
      beforeBatch: ({ atMs }) => regGate.before(atMs),
      ...RESEARCH_HABITS,
    }).finally(regGate.finish);
    const benignClf = runBenignTraffic({
      task: 'classification',
      oracles: researchers.slice(half).map((p) => oracle<ClassificationAnswer>(p, 'classification', 0)),
      victim: victims.classifier,
      pool: data.pool,
      poolInfo: data.poolInfo,
      days,
      seed: seed * 1000 + 2,
      startMs: T0,
      beforeBatch: ({ atMs }) => clfGate.before(atMs),
      ...RESEARCH_HABITS,
    }).finally(clfGate.finish);

    await tl.advanceTo(T0 + plan.warmupDays * DAY_MS);
    const attacks: LabAttack[] = [];
    const total = attackList.length + 2;
    let done = 0;
    for (const a of attackList) {
      await tl.advanceTo(nextHour(tl.t, 9));
      const principals = Array.from({ length: a.keys }, (_, k) => `${a.name}-${a.task === 'regression' ? 'bace' : 'tox21'}-${k + 1}`);
      const oracles: Array<HttpOracle<unknown>> = [];
      const watch = new DetectionWatch(gw, new Set(principals), () => oracles);
      for (const p of principals) oracles.push(oracle(p, a.task, plan.attackPaceMs, () => watch.observe()));
      const common = { pool: input.attackPool, strategy: a.strategy, checkpoints: plan.checkpoints, batchSize: LAB_BATCH_CAP, seed: seed * 1000 + 17 };
      let r: ExtractionResult;
      if (a.task === 'regression') {
        const o = { ...common, task: 'regression' as const, evalSet: input.evalReg, victimOnEval: input.regOnEval };
        r = a.keys > 1 ? await runSybilExtraction({ ...o, oracles: oracles as Array<HttpOracle<RegressionAnswer>> }) : await runExtraction({ ...o, oracle: oracles[0] as HttpOracle<RegressionAnswer> });
      } else {
        const o = { ...common, task: 'classification' as const, evalSet: input.evalClf, victimOnEval: input.clfOnEval, labels: data.tox21.labels };
        r = a.keys > 1 ? await runSybilExtraction({ ...o, oracles: oracles as Array<HttpOracle<ClassificationAnswer>> }) : await runExtraction({ ...o, oracle: oracles[0] as HttpOracle<ClassificationAnswer> });
      }
      // Daily detectors speak when the attacker's day closes: the next working morning, once traffic moves the engine on.
      await tl.advanceTo(nextHour(tl.t + 1, 9));
      gw.gateway.detection?.tick(tl.t);
      watch.observe();
      attacks.push({
        name: a.name,
        victim: a.task === 'regression' ? DEFAULT_VICTIM_NAMES.regressor : DEFAULT_VICTIM_NAMES.classifier,
        strategy: a.strategy,
        keys: a.keys,
        policy: policy.name,
        queries_sent: r.queriesSent,
        queries_answered: r.queriesAnswered,
        queries_to_first_alert: watch.firstAlert,
        queries_to_incident: watch.incident,
        queries_to_block: watch.block,
        fidelity: r.fidelity.map((f) => ({ queries: f.queries, r2: f.r2, spearman: f.spearman, top100_overlap: f.top100_overlap, agreement: f.agreement, mae: f.mae, rmse: f.rmse, auc: f.auc })),
      });
      input.progress(++done, total);
    }

    const membership: LabMembership[] = [];
    for (const task of ['regression', 'classification'] as const) {
      await tl.advanceTo(nextHour(tl.t, 9));
      const principal = task === 'regression' ? 'membership-bace' : 'membership-tox21';
      const watchOracles: Array<HttpOracle<unknown>> = [];
      const watch = new DetectionWatch(gw, new Set([principal]), () => watchOracles);
      let r: MembershipResult;
      if (task === 'regression') {
        const o = oracle<RegressionAnswer>(principal, task, plan.attackPaceMs, () => watch.observe());
        watchOracles.push(o);
        r = await runMembershipInference({ task, oracle: o, members: data.bace.train, nonMembers: data.bace.test, truth: { members: data.bace.yTrain, nonMembers: data.bace.yTest }, seed: seed * 1000 + 31, maxPerSide: plan.membershipPerSide, shadow: { pool: input.attackPool, ...plan.shadow }, batchSize: LAB_BATCH_CAP });
      } else {
        const o = oracle<ClassificationAnswer>(principal, task, plan.attackPaceMs, () => watch.observe());
        watchOracles.push(o);
        r = await runMembershipInference({ task, oracle: o, labels: data.tox21.labels, members: data.tox21.train, nonMembers: data.tox21.test, truth: { members: data.tox21.Ytrain, nonMembers: data.tox21.Ytest }, seed: seed * 1000 + 32, maxPerSide: plan.membershipPerSide, shadow: { pool: input.attackPool, ...plan.shadow }, batchSize: LAB_BATCH_CAP });
      }
      for (const s of r.scores) membership.push({ policy: policy.name, victim: task === 'regression' ? DEFAULT_VICTIM_NAMES.regressor : DEFAULT_VICTIM_NAMES.classifier, attack: s.attack, auc: s.auc, tpr_at_1pct_fpr: s.tpr_at_1pct_fpr, tpr_at_01pct_fpr: s.tpr_at_01pct_fpr });
      input.progress(++done, total);
    }

    // The researchers finish their days; everything they were alerted on is a false positive.
    await tl.advanceTo(Number.MAX_SAFE_INTEGER / 2);
    const [breg, bclf] = await Promise.all([benignReg, benignClf]);
    gw.poll();
    const benignSet = new Set(researchers);
    const fp: Alert[] = gw.alerts().filter((a) => benignSet.has(a.principal));
    if (process.env['MW_LAB_DEBUG']) for (const a of gw.alerts()) process.stderr.write(`${policy.name} ${a.at} ${a.principal} ${a.detector} ${a.severity} obs=${a.observed} thr=${a.threshold} ${a.explanation}\n`);
    const utility = [
      ...breg.utility.filter((u) => u.value !== null).map((u) => ({ policy: policy.name, victim: DEFAULT_VICTIM_NAMES.regressor, metric: u.metric, value: u.value! })),
      ...bclf.utility.filter((u) => u.value !== null).map((u) => ({ policy: policy.name, victim: DEFAULT_VICTIM_NAMES.classifier, metric: u.metric, value: u.value! })),
    ];
    return { attacks, membership, utility, benignQueries: breg.queries + bclf.queries, falsePositives: fp.length };
  } finally {
    await gw.close();
  }
}


