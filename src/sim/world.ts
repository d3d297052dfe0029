/**
 * The simulated company, drawn once per seed: people and service accounts
 * (the directory), the model registry (the inventory), the internal compound
 * library, the research programmes and each researcher's focus area, and who
 * plays the insider, the decoys and the accomplices.
 */
import type { Pool } from './pool.js';
import { Rng, fnv1a } from './rng.js';
import type { ScenarioConfig, Variant } from './config.js';

export type TeamId = 'comp-chem' | 'drug-discovery' | 'clinical-ops' | 'ml-platform';

export interface Person {
  idx: number;
  principal: string;
  email: string;
  displayName: string;
  team: TeamId;
  role: string;
  projects: string[];
  manager: string;
  /** Prediction-gateway API key id. */
  apiKey: string;
  /** MinIO access key, for those who read the model bucket. */
  accessKey: string | null;
  service: boolean;
  ip: string;
  vpnIp: string;
  /** Fixed UTC offset of the person's site, hours. */
  tz: number;
  /** Focus area (pool indices) for researchers and data scientists. */
  focus: Int32Array;
  /** Research programme (drug discovery) or model project (comp-chem). */
  programme: string | null;
}

export type Serving = 'gateway' | 'kserve' | 'seldon';
export type OutputKind = 'affinity' | 'multilabel' | 'admet' | 'classifier' | 'regression' | 'trial';

export interface ModelDef {
  idx: number;
  name: string;
  team: TeamId;
  project: string;
  classification: 'TRADE_SECRET' | 'CONFIDENTIAL';
  value: number;
  architecture: string;
  description: string;
  version: number;
  serving: Serving;
  /** Request body shape: Seldon `data.ndarray` or KServe V1 `instances`. */
  protocol: 'seldon' | 'kserve';
  input: 'smiles' | 'features';
  output: OutputKind;
  /** Bulk weights file size of the latest version, bytes. */
  artifactBytes: number;
  createdMs: number;
  updatedMs: number;
  runId: string;
  experimentId: number;
}

interface ModelSpec {
  name: string;
  team: TeamId;
  project: string;
  output: OutputKind;
  architecture: string;
  description: string;
  serving: Serving;
  protocol: 'seldon' | 'kserve';
  classification?: 'TRADE_SECRET' | 'CONFIDENTIAL';
  value?: number;
  version?: number;
  /** Approximate artifact size in MB (drawn +-4%). */
  sizeMB?: number;
}

/** The registry: 28 production models (fixed names; values, versions and sizes drawn per seed unless the scenario fixes them). */
export const MODEL_SPECS: readonly ModelSpec[] = [
  { name: 'binding-affinity-predictor', team: 'comp-chem', project: 'binding-affinity', output: 'affinity', architecture: 'graph transformer with cross-attention to the binding pocket (pKd regression)', description: 'Predicts binding affinity (pKd) with interval, attention over atoms and predicted binding residues', serving: 'gateway', protocol: 'seldon', classification: 'TRADE_SECRET', value: 45_000_000 },
  { name: 'toxicity-classifier', team: 'comp-chem', project: 'predictive-safety', output: 'multilabel', architecture: 'multitask D-MPNN, multi-label (hepato/cardio/nephro)', description: 'Multi-label organ toxicity: hepatotoxicity, cardiotoxicity, nephrotoxicity', serving: 'gateway', protocol: 'kserve', classification: 'TRADE_SECRET', value: 38_000_000, version: 8, sizeMB: 859 },
  { name: 'admet-predictor', team: 'comp-chem', project: 'admet-platform', output: 'admet', architecture: 'multitask MPNN with 23 ADMET heads', description: '23 ADMET endpoints from one shared encoder', serving: 'gateway', protocol: 'kserve', classification: 'TRADE_SECRET', value: 52_000_000, version: 11, sizeMB: 1200 },
  { name: 'trial-success-predictor', team: 'clinical-ops', project: 'trial-analytics', output: 'trial', architecture: 'gradient-boosted trees over trial design features', description: 'Probability of technical success by phase, aggregated over a portfolio', serving: 'gateway', protocol: 'kserve', classification: 'TRADE_SECRET', value: 25_000_000 },
  { name: 'bace1-activity-predictor', team: 'comp-chem', project: 'binding-affinity', output: 'affinity', architecture: 'graph attention network (pIC50)', description: 'BACE-1 inhibitor potency', serving: 'kserve', protocol: 'kserve' },
  { name: 'kinase-selectivity-predictor', team: 'comp-chem', project: 'binding-affinity', output: 'affinity', architecture: 'multitask graph transformer over 120 kinases', description: 'Kinase panel selectivity', serving: 'kserve', protocol: 'kserve', classification: 'TRADE_SECRET' },
  { name: 'protein-ligand-docking-scorer', team: 'comp-chem', project: 'binding-affinity', output: 'affinity', architecture: 'equivariant GNN rescoring of docked poses', description: 'Docking pose rescoring', serving: 'seldon', protocol: 'seldon' },
  { name: 'herg-blocker-classifier', team: 'comp-chem', project: 'predictive-safety', output: 'classifier', architecture: 'D-MPNN classifier', description: 'hERG channel blockade risk', serving: 'gateway', protocol: 'kserve' },
  { name: 'ames-mutagenicity-classifier', team: 'comp-chem', project: 'predictive-safety', output: 'classifier', architecture: 'random forest on ECFP4', description: 'Ames mutagenicity', serving: 'kserve', protocol: 'kserve' },
  { name: 'dili-risk-classifier', team: 'comp-chem', project: 'predictive-safety', output: 'classifier', architecture: 'D-MPNN classifier', description: 'Drug-induced liver injury risk', serving: 'kserve', protocol: 'kserve' },
  { name: 'qt-prolongation-risk', team: 'comp-chem', project: 'predictive-safety', output: 'classifier', architecture: 'gradient-boosted trees on descriptors', description: 'QT prolongation risk', serving: 'seldon', protocol: 'seldon' },
  { name: 'solubility-regressor', team: 'comp-chem', project: 'admet-platform', output: 'regression', architecture: 'chemprop MPNN regression (logS)', description: 'Aqueous solubility', serving: 'gateway', protocol: 'kserve' },
  { name: 'logd-predictor', team: 'comp-chem', project: 'admet-platform', output: 'regression', architecture: 'chemprop MPNN regression (logD7.4)', description: 'Lipophilicity at pH 7.4', serving: 'kserve', protocol: 'kserve' },
  { name: 'cyp3a4-inhibition-classifier', team: 'comp-chem', project: 'admet-platform', output: 'classifier', architecture: 'D-MPNN classifier', description: 'CYP3A4 inhibition', serving: 'kserve', protocol: 'kserve' },
  { name: 'cyp2d6-inhibition-classifier', team: 'comp-chem', project: 'admet-platform', output: 'classifier', architecture: 'D-MPNN classifier', description: 'CYP2D6 inhibition', serving: 'kserve', protocol: 'kserve' },
  { name: 'bbb-permeability-classifier', team: 'comp-chem', project: 'admet-platform', output: 'classifier', architecture: 'attentive FP classifier', description: 'Blood-brain barrier permeability', serving: 'seldon', protocol: 'seldon' },
  { name: 'metabolic-stability-predictor', team: 'comp-chem', project: 'admet-platform', output: 'regression', architecture: 'multitask MPNN (microsomal clearance)', description: 'Human and rat microsomal clearance', serving: 'kserve', protocol: 'kserve' },
  { name: 'plasma-protein-binding-predictor', team: 'comp-chem', project: 'admet-platform', output: 'regression', architecture: 'gradient-boosted trees on descriptors', description: 'Fraction unbound in plasma', serving: 'kserve', protocol: 'kserve' },
  { name: 'pka-predictor', team: 'comp-chem', project: 'admet-platform', output: 'regression', architecture: 'graph neural network (site pKa)', description: 'Most acidic and basic pKa', serving: 'seldon', protocol: 'seldon' },
  { name: 'caco2-permeability-predictor', team: 'comp-chem', project: 'admet-platform', output: 'regression', architecture: 'chemprop MPNN regression', description: 'Caco-2 apparent permeability', serving: 'kserve', protocol: 'kserve' },
  { name: 'retrosynthesis-planner', team: 'comp-chem', project: 'synthesis', output: 'regression', architecture: 'template-based transformer with MCTS (route length)', description: 'Synthesis route length and feasibility', serving: 'kserve', protocol: 'kserve' },
  { name: 'reaction-yield-predictor', team: 'comp-chem', project: 'synthesis', output: 'regression', architecture: 'BERT on reaction SMILES', description: 'Expected yield', serving: 'kserve', protocol: 'kserve' },
  { name: 'synthetic-accessibility-scorer', team: 'comp-chem', project: 'synthesis', output: 'regression', architecture: 'fragment-contribution model', description: 'Synthetic accessibility score (1-10)', serving: 'seldon', protocol: 'seldon' },
  { name: 'scaffold-hopping-scorer', team: 'comp-chem', project: 'synthesis', output: 'regression', architecture: 'siamese GNN similarity', description: 'Scaffold-hop plausibility', serving: 'kserve', protocol: 'kserve' },
  { name: 'patient-enrollment-forecaster', team: 'clinical-ops', project: 'trial-analytics', output: 'trial', architecture: 'hierarchical Bayesian time series', description: 'Enrollment rate per site', serving: 'kserve', protocol: 'kserve' },
  { name: 'site-selection-ranker', team: 'clinical-ops', project: 'trial-analytics', output: 'trial', architecture: 'learning-to-rank GBDT', description: 'Trial site ranking', serving: 'kserve', protocol: 'kserve' },
  { name: 'adverse-event-signal-detector', team: 'clinical-ops', project: 'trial-analytics', output: 'trial', architecture: 'disproportionality model with Bayesian shrinkage', description: 'Adverse event signal strength', serving: 'seldon', protocol: 'seldon' },
  { name: 'trial-dropout-predictor', team: 'clinical-ops', project: 'trial-analytics', output: 'trial', architecture: 'survival forest', description: 'Patient dropout risk', serving: 'kserve', protocol: 'kserve' },
];

export const PROGRAMMES = ['bace1-alzheimers', 'jak2-inhibitors', 'hiv-integrase', 'kras-g12c', 'nav17-pain', 'pde4-inflammation', '5ht2a-psychiatry'] as const;

const FIRST = ['Anna', 'Ben', 'Chloe', 'David', 'Elena', 'Farid', 'Grace', 'Hiro', 'Ines', 'Jonas', 'Kavya', 'Liam', 'Maya', 'Nikolai', 'Olivia', 'Pedro', 'Qing', 'Rosa', 'Samuel', 'Tara', 'Umar', 'Vera', 'Wei', 'Xenia', 'Yusuf', 'Zoe', 'Amir', 'Beatriz', 'Carlos', 'Dana', 'Emil', 'Fatima', 'Georg', 'Hannah', 'Ivan', 'Julia', 'Kenji', 'Leila', 'Marco', 'Nadia', 'Oskar', 'Priya', 'Rafael', 'Sofia', 'Thomas', 'Ursula', 'Viktor', 'Wanjiru', 'Yara', 'Zhen', 'Aisha', 'Bruno', 'Clara', 'Dmitri', 'Esther', 'Felix', 'Gabriela', 'Hassan', 'Ingrid', 'Jakob', 'Keiko', 'Lukas', 'Mei', 'Noah', 'Paula', 'Ravi', 'Sara', 'Tobias', 'Valentina', 'William'];
const LAST = ['Muller', 'Schneider', 'Fischer', 'Weber', 'Meyer', 'Wagner', 'Becker', 'Hoffmann', 'Keller', 'Brunner', 'Huber', 'Baumann', 'Frei', 'Zimmermann', 'Moser', 'Smith', 'Johnson', 'Williams', 'Brown', 'Garcia', 'Martinez', 'Nguyen', 'Chen', 'Wang', 'Li', 'Kim', 'Patel', 'Singh', 'Sato', 'Tanaka', 'Rossi', 'Bianchi', 'Dubois', 'Laurent', 'Novak', 'Kowalski', 'Silva', 'Costa', 'Okafor', 'Mensah', 'Haddad', 'Nasser', 'Ivanova', 'Petrov', 'Larsen', 'Andersson', 'Nielsen', 'Jansen', 'deVries', 'OBrien', 'Murphy', 'Walsh', 'Cohen', 'Levi', 'Kaur', 'Reddy', 'Ito', 'Yamamoto', 'Lopez', 'Gonzalez', 'Ramirez', 'Torres', 'Ferrari', 'Romano', 'Fontaine', 'Girard', 'Hansen', 'Berg', 'Lindqvist', 'Kovacs'];

export interface Library {
  /** 1 when the pool molecule is in the internal compound library. */
  inLib: Uint8Array;
  /** Library members (pool indices) in compound-id order. */
  members: Int32Array;
  /** Compound id of each member. */
  ids: string[];
  trainingShare: number;
  /** Library clusters big enough to anchor a chemical series (cluster ids). */
  seriesClusters: number[];
  /** Clusters with no library member (the public chemical space). */
  publicClusters: Int32Array;
}

export interface Roles {
  attacker: Person;
  accomplices: Person[];
  /** Colleagues whose API keys leaked (sybil variant). */
  leakedKeyOwners: Person[];
  borrowedService: Person | null;
  loadTest: Person;
  backup: Person;
  batchScoring: Person;
  screener: Person;
  retrainer: Person;
  resigner: Person;
}

export interface World {
  cfg: ScenarioConfig;
  seed: number;
  variant: Variant;
  scale: number;
  people: Person[];
  models: ModelDef[];
  modelByName: Map<string, ModelDef>;
  library: Library;
  roles: Roles;
  /** Programme name -> series clusters. */
  programmes: Map<string, number[]>;
}

function draw(rng: Rng, r: readonly [number, number]): number {
  return rng.uniform(r[0], r[1]);
}
function drawInt(rng: Rng, r: readonly [number, number]): number {
  return rng.int(Math.round(r[0]), Math.round(r[1]));
}

export { draw, drawInt };

/** True when the pool molecule belongs to `model`'s training set (a stable share of the library). */
export function inTraining(world: World, model: ModelDef, poolIdx: number): boolean {
  if (!world.library.inLib[poolIdx]) return false;
  const h = fnv1a(model.project, Math.imul(poolIdx + 1, 2654435761) >>> 0);
  return h / 4294967296 < world.library.trainingShare;
}

function buildLibrary(pool: Pool, cfg: ScenarioConfig, rng: Rng): Library {
  const n = pool.smiles.length;
  const nc = pool.clusterSize.length;
  const target = Math.min(n - 1000, drawInt(rng, cfg.library.size));
  const inLib = new Uint8Array(n);
  let size = 0;
  const take = (c: number): void => {
    const s = pool.clusterStart[c]!;
    for (let i = s; i < s + pool.clusterSize[c]!; i++) {
      if (!inLib[i]) {
        inLib[i] = 1;
        size++;
      }
    }
  };
  const leadSource = (c: number): string => pool.source[pool.clusterStart[c]!]!;
  // The company's own med-chem series: BACE and ChEMBL-like series first, then other series, then drug-like singletons.
  const order = Array.from({ length: nc }, (_, i) => i);
  const medchem = order.filter((c) => leadSource(c) === 'bace' || leadSource(c) === 'lipo');
  const series = rng.shuffle(order.filter((c) => pool.clusterSize[c]! >= 5 && leadSource(c) !== 'bace' && leadSource(c) !== 'lipo'));
  const druglike = rng.shuffle(order.filter((c) => pool.clusterSize[c]! < 5 && leadSource(c) === 'zinc'));
  for (const c of medchem) take(c);
  for (const c of series) {
    if (size >= target * 0.55) break;
    take(c);
  }
  for (const c of druglike) {
    if (size >= target) break;
    take(c);
  }
  const members: number[] = [];
  for (let i = 0; i < n; i++) if (inLib[i]) members.push(i);
  rng.shuffle(members);
  const base = rng.int(100000, 400000);
  const ids = members.map((_, k) => `HTX-${String(base + k * 7 + (k % 5)).padStart(7, '0')}`);
  const seriesClusters = order.filter((c) => pool.clusterSize[c]! >= 6 && inLib[pool.clusterStart[c]!]);
  const publicClusters = Int32Array.from(order.filter((c) => !inLib[pool.clusterStart[c]!]));
  return { inLib, members: Int32Array.from(members), ids, trainingShare: draw(rng, cfg.library.trainingShare), seriesClusters, publicClusters };
}

/** Molecules of a focus area: the seed clusters plus their nearest clusters until there are enough. */
function focusArea(pool: Pool, seeds: number[], rng: Rng, min: number, max: number): Int32Array {
  const out: number[] = [];
  const used = new Set<number>();
  const queue = [...seeds];
  while (queue.length && out.length < min) {
    const c = queue.shift()!;
    if (used.has(c)) continue;
    used.add(c);
    const s = pool.clusterStart[c]!;
    for (let i = s; i < s + pool.clusterSize[c]! && out.length < max; i++) out.push(i);
    for (const d of pool.clusterNeighbours[c] ?? []) if (!used.has(d)) queue.push(d);
  }
  return Int32Array.from(rng.shuffle(out));
}

function ipFor(rng: Rng, site: number, team: TeamId): string {
  const subnet = { 'comp-chem': 12, 'drug-discovery': 14, 'clinical-ops': 16, 'ml-platform': 18 }[team];
  return site === 0 ? `10.20.${subnet + rng.int(0, 1)}.${rng.int(10, 250)}` : `10.40.${subnet + rng.int(0, 1)}.${rng.int(10, 250)}`;
}

export function buildWorld(pool: Pool, cfg: ScenarioConfig, seed: number, variant: Variant, scale: number, startMs: number): World {
  const rng = Rng.derive(seed, 'world');
  const library = buildLibrary(pool, cfg, Rng.derive(seed, 'library'));

  // Models.
  const mrng = Rng.derive(seed, 'models');
  const models: ModelDef[] = MODEL_SPECS.map((s, idx) => {
    const created = startMs - mrng.int(200, 900) * 86400_000 - mrng.int(0, 86399) * 1000;
    const updated = startMs - mrng.int(3, 60) * 86400_000 - mrng.int(0, 86399) * 1000;
    const sizeMB = s.sizeMB ?? (s.team === 'clinical-ops' ? mrng.uniform(20, 180) : mrng.uniform(60, 900));
    return {
      idx,
      name: s.name,
      team: s.team,
      project: s.project,
      classification: s.classification ?? (mrng.chance(0.35) ? 'TRADE_SECRET' : 'CONFIDENTIAL'),
      value: s.value ?? Math.round(mrng.uniform(2, 22)) * 1_000_000,
      architecture: s.architecture,
      description: s.description,
      version: s.version ?? mrng.int(2, 14),
      serving: s.serving,
      protocol: s.protocol,
      input: s.team === 'clinical-ops' ? 'features' : 'smiles',
      output: s.output,
      artifactBytes: Math.round(sizeMB * mrng.uniform(0.96, 1.04) * 1_000_000),
      createdMs: created,
      updatedMs: Math.max(created + 86400_000, updated),
      runId: mrng.hex(32),
      experimentId: mrng.int(1, 60),
    };
  });
  const modelByName = new Map(models.map((m) => [m.name, m]));

  // Programmes: each drug-discovery programme owns some library series.
  const programmes = new Map<string, number[]>();
  const series = rng.shuffle([...library.seriesClusters]);
  PROGRAMMES.forEach((p) => programmes.set(p, []));
  series.forEach((c, i) => programmes.get(PROGRAMMES[i % PROGRAMMES.length]!)!.push(c));

  // People.
  const people: Person[] = [];
  const taken = new Set<string>();
  const prng = Rng.derive(seed, 'people');
  const domain = cfg.company.domain;
  function makePerson(team: TeamId, role: string, service = false, name?: string): Person {
    let principal: string;
    let displayName: string;
    let email: string;
    if (service) {
      principal = name!;
      displayName = name!;
      email = `${name}@${domain}`;
    } else {
      const first = prng.pick(FIRST);
      const last = prng.pick(LAST);
      const base = (first[0]! + last).toLowerCase();
      principal = base;
      // Same initial and surname: a number, as directories do (jdoe, jdoe2, jdoe3, ...).
      for (let k = 2; taken.has(principal); k++) principal = base + k;
      displayName = `${first} ${last}`;
      email = `${first.toLowerCase()}.${last.toLowerCase()}${principal.slice(base.length)}@${domain}`;
    }
    taken.add(principal);
    const site = service ? 2 : prng.chance(cfg.platform.baselShare) ? 0 : 1;
    const p: Person = {
      idx: people.length,
      principal,
      email,
      displayName,
      team,
      role,
      projects: [],
      manager: '',
      apiKey: `hk_${prng.hex(20)}`,
      accessKey: team === 'comp-chem' || service ? `MW${prng.alnum(18)}` : null,
      service,
      ip: service ? `10.244.${prng.int(1, 30)}.${prng.int(2, 250)}` : ipFor(prng, site, team),
      vpnIp: `10.8.${prng.int(0, 15)}.${prng.int(2, 250)}`,
      tz: site === 1 ? -5 : site === 0 ? 1 : 0,
      focus: new Int32Array(0),
      programme: null,
    };
    people.push(p);
    return p;
  }

  // Every role needs someone to play it, whatever the scale: at least 4 data scientists, 5 researchers, 2 analysts.
  const k = (n: number, min: number): number => Math.max(min, Math.round(n * scale));
  const heads = {
    'comp-chem': makePerson('comp-chem', 'head_of_computational_chemistry'),
    'drug-discovery': makePerson('drug-discovery', 'head_of_drug_discovery'),
    'clinical-ops': makePerson('clinical-ops', 'head_of_clinical_operations'),
    'ml-platform': makePerson('ml-platform', 'head_of_ml_platform'),
  };
  for (const h of Object.values(heads)) h.manager = '';
  heads['comp-chem'].projects = ['binding-affinity', 'predictive-safety', 'admet-platform', 'synthesis'];
  heads['drug-discovery'].projects = [...PROGRAMMES];
  heads['clinical-ops'].projects = ['trial-analytics'];
  heads['ml-platform'].projects = ['ml-platform'];

  const ccProjects = ['binding-affinity', 'predictive-safety', 'admet-platform', 'synthesis'];
  const compChem: Person[] = [];
  for (let i = 0; i < k(cfg.teams.compChem, 4); i++) {
    const p = makePerson('comp-chem', prng.chance(0.35) ? 'senior_data_scientist' : 'data_scientist');
    const primary = ccProjects[i % ccProjects.length]!;
    p.projects = [primary];
    if (prng.chance(0.3)) {
      const other = prng.pick(ccProjects);
      if (other !== primary) p.projects.push(other);
    }
    p.programme = primary;
    p.manager = heads['comp-chem'].principal;
    compChem.push(p);
  }
  const dd: Person[] = [];
  for (let i = 0; i < k(cfg.teams.drugDiscovery, 5); i++) {
    const p = makePerson('drug-discovery', prng.chance(0.25) ? 'senior_scientist' : prng.chance(0.5) ? 'scientist' : 'research_associate');
    const prog = PROGRAMMES[i % PROGRAMMES.length]!;
    p.projects = [prog];
    p.programme = prog;
    p.manager = heads['drug-discovery'].principal;
    dd.push(p);
  }
  const clin: Person[] = [];
  for (let i = 0; i < k(cfg.teams.clinicalOps, 2); i++) {
    const p = makePerson('clinical-ops', prng.chance(0.3) ? 'senior_analyst' : 'analyst');
    p.projects = prng.chance(0.5) ? ['trial-analytics'] : ['trial-analytics', 'portfolio-review'];
    p.programme = 'trial-analytics';
    p.manager = heads['clinical-ops'].principal;
    clin.push(p);
  }
  const platform: Person[] = [];
  for (let i = 0; i < Math.max(1, cfg.teams.mlPlatform); i++) {
    const p = makePerson('ml-platform', 'platform_engineer');
    p.projects = ['ml-platform'];
    p.manager = heads['ml-platform'].principal;
    platform.push(p);
  }

  // Focus areas: each researcher works on one or two series of their programme; each data scientist on the chemistry of their project.
  const frng = Rng.derive(seed, 'focus');
  const allSeries = library.seriesClusters.length ? library.seriesClusters : [0];
  for (const p of dd) {
    const own = programmes.get(p.programme!)!;
    const seeds = own.length ? [frng.pick(own), frng.pick(own)] : [frng.pick(allSeries)];
    p.focus = focusArea(pool, frng.chance(0.6) ? seeds.slice(0, 1) : seeds, frng, 30, 420);
  }
  for (const p of [...compChem, heads['comp-chem'], heads['drug-discovery']]) p.focus = focusArea(pool, [frng.pick(allSeries)], frng, 30, 300);

  // Roles.
  const rrng = Rng.derive(seed, 'roles');
  const seniors = compChem.filter((p) => p.role === 'senior_data_scientist' && p.projects.includes('binding-affinity'));
  const attacker = seniors.length ? rrng.pick(seniors) : compChem[0]!;
  attacker.role = 'senior_data_scientist';
  attacker.projects = ['binding-affinity'].concat(attacker.projects.filter((x) => x !== 'binding-affinity' && x !== 'predictive-safety' && x !== 'admet-platform'));
  attacker.programme = 'binding-affinity';

  const mkService = (name: string, team: TeamId, owner: Person, projects: string[]): Person => {
    const s = makePerson(team, 'service_account', true, name);
    s.manager = owner.principal;
    s.projects = projects;
    return s;
  };
  const platformOwner = platform[0]!;
  const changeNo = rrng.int(10000, 99999);
  const loadTest = mkService('svc-loadtest', 'ml-platform', platformOwner, ['ml-platform', `approved-load-test-CHG${changeNo}`]);
  const backup = mkService('svc-backup', 'ml-platform', platform[platform.length - 1]!, ['ml-platform', 'backup-dr']);
  const scoringOwner = compChem.find((p) => p !== attacker && p.projects.includes('binding-affinity')) ?? compChem.find((p) => p !== attacker) ?? attacker;
  const batchScoring = mkService('svc-batch-scoring', 'comp-chem', scoringOwner, ['binding-affinity']);
  batchScoring.focus = focusArea(pool, [rrng.pick(allSeries), rrng.pick(allSeries)], rrng, 200, 800);

  const others = dd.filter((p) => p !== attacker);
  const screener = rrng.pick(others);
  screener.projects = [...screener.projects, `virtual-screening-${screener.programme}-2026`];
  const retrainCandidates = compChem.filter((p) => p !== attacker && p !== scoringOwner && (p.projects.includes('admet-platform') || p.projects.includes('predictive-safety')));
  const retrainer = retrainCandidates.length ? rrng.pick(retrainCandidates) : compChem.find((p) => p !== attacker)!;
  const resignPool = [...dd, ...compChem].filter((p) => p !== attacker && p !== screener && p !== retrainer && p !== scoringOwner);
  const resigner = rrng.pick(resignPool);

  let leakedKeyOwners: Person[] = [];
  let borrowedService: Person | null = null;
  if (variant === 'sybil') {
    const colleagues = rrng.shuffle([...compChem, ...dd].filter((p) => p !== attacker && p !== screener && p !== retrainer && p !== resigner));
    leakedKeyOwners = colleagues.slice(0, 2);
    borrowedService = batchScoring;
  }
  const accomplices = borrowedService ? [borrowedService, ...leakedKeyOwners] : [];

  return {
    cfg,
    seed,
    variant,
    scale,
    people,
    models,
    modelByName,
    library,
    roles: { attacker, accomplices, leakedKeyOwners, borrowedService, loadTest, backup, batchScoring, screener, retrainer, resigner },
    programmes,
  };
}

/** Directory aliases: the access and API keys a person (or service account) authenticates with. */
export function aliasesOf(p: Person): string[] {
  return [p.apiKey, ...(p.accessKey ? [p.accessKey] : [])];
}
