/**
 * A playbook run on one incident: instantiation (facts, decision, owner,
 * escalation, vectors, triage, SLA clocks, automatic actions), then the
 * responders' actions, notes, confirmations and closing. The run is a JSON
 * document in the store; everything that happens is also an entry of the
 * hash-chained evidence log.
 */
import type { Incident } from '../correlate/index.js';
import { MwError } from '../errors/index.js';
import type { Store } from '../store/index.js';
import { sha256Hex } from '../util/hash.js';
import type { Collected, TriageResult } from './collect.js';
import { collectIncident } from './collect.js';
import type { ActionResult, Connector } from './connectors.js';
import { createStorageConnector } from './connectors.js';
import type { Facts, VectorFinding } from './decide.js';
import { appliesTo, classifyVectors, computeFacts, decide, escalate } from './decide.js';
import type { EvidenceLog } from './evidence.js';
import { canonicalJson } from './evidence.js';
import type { ContainmentStep, Fact, LoadedPlaybook } from './playbook.js';
import { CONFIRMABLE_FACTS } from './playbook.js';

export const RUNS = 'respond-runs';
export const SYSTEM_ACTOR = 'mirrorwatch';

export type StepStatus = 'not_planned' | 'pending' | 'awaiting_approval' | 'manual_pending' | 'done' | 'failed';

export interface ActionRecord {
  seq: number;
  step: string;
  connector: string;
  action: string;
  mode: string;
  actor: string;
  at: string;
  params: Record<string, unknown>;
  dry_run: boolean;
  ok: boolean;
  manual: boolean;
  /** A manual step marked done by a responder. */
  marked_done: boolean;
  calls: ActionResult['calls'];
  output: unknown;
  error: string | null;
}

export interface Clock {
  id: 'containment' | 'decision';
  name: string;
  target_minutes: number;
  started_at: string;
  due_at: string;
  stopped_at: string | null;
}

export interface ClockStatus extends Clock {
  state: 'running' | 'met' | 'breached' | 'not_applicable';
  /** Minutes left (running) or over (breached), at the time of asking. */
  minutes: number;
}

export interface PlaybookRun {
  incident: string;
  principals: string[];
  playbook: { id: string; name: string; version: number; file: string; sha256: string };
  /** Event time the incident opened: the clocks start here. */
  opened_at: string;
  instantiated_at: string;
  facts: Facts;
  fact_reasons: Partial<Record<Fact, string>>;
  confirmed: Partial<Record<Fact, boolean>>;
  decision: { row: string; condition: string; decision: string; owner: string; sla_minutes: number; actions: string[] } | null;
  escalation: Array<{ id: string; notify: string[] }>;
  vectors: VectorFinding[];
  triage: TriageResult[];
  steps: Array<{ id: string; name: string; connector: string; action: string; mode: string; status: StepStatus; attempts: number }>;
  actions: ActionRecord[];
  notes: Array<{ at: string; actor: string; text: string }>;
  clocks: Clock[];
  status: 'open' | 'closed';
  closed: { at: string; actor: string; decision: string } | null;
  held: boolean;
}

export interface RunDeps {
  store: Store;
  playbooks: readonly LoadedPlaybook[];
  evidence: EvidenceLog;
  connectors: Partial<Record<string, Connector>>;
  now: () => number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const addMinutes = (t: string, m: number): string => iso(Date.parse(t) + m * 60_000);

export function clockStatus(c: Clock, nowMs: number): ClockStatus {
  const due = Date.parse(c.due_at);
  if (c.stopped_at) {
    const stop = Date.parse(c.stopped_at);
    return { ...c, state: stop <= due ? 'met' : 'breached', minutes: Math.round(Math.abs(due - stop) / 600) / 100 };
  }
  return { ...c, state: nowMs <= due ? 'running' : 'breached', minutes: Math.round(Math.abs(due - nowMs) / 600) / 100 };
}

export async function getRun(store: Store, incident: string): Promise<PlaybookRun | null> {
  return (await store.getDocument<PlaybookRun>(RUNS, incident))?.body ?? null;
}

export async function requireIncident(store: Store, id: string): Promise<Incident> {
  const inc = await store.getIncident(id);
  if (!inc) throw new MwError('MW_ERR_RESPOND_NOT_FOUND', `no incident ${id} in the store (mirrorwatch incident list shows the ids)`);
  return inc;
}

function choosePlaybook(playbooks: readonly LoadedPlaybook[], incident: Incident): LoadedPlaybook {
  const pb = playbooks.find((p) => appliesTo(p.playbook, incident));
  if (!pb) throw new MwError('MW_ERR_RESPOND_NO_PLAYBOOK', `no playbook applies to incident ${incident.id} (severity ${incident.severity}, vectors ${incident.vectors.join(', ') || 'none'})`);
  return pb;
}

function planSteps(pb: LoadedPlaybook, planned: readonly string[]): PlaybookRun['steps'] {
  return pb.playbook.containment.steps.map((s) => ({
    id: s.id,
    name: s.name,
    connector: s.connector,
    action: s.action,
    mode: s.mode,
    status: !planned.includes(s.id) ? 'not_planned' : s.mode === 'approval' ? 'awaiting_approval' : 'pending',
    attempts: 0,
  }));
}

/** Re-derives facts, decision and escalation (after a confirmation) and restarts the decision clock if the decision changes. */
function evaluate(run: PlaybookRun, pb: LoadedPlaybook, collected: Collected, incident: Incident, atIso: string): void {
  const { facts, reasons } = computeFacts(pb.playbook, { incident, alerts: collected.alerts, iocs: collected.iocs, hrActions: collected.hrActions, confirmed: run.confirmed });
  run.facts = facts;
  run.fact_reasons = reasons;
  run.escalation = escalate(pb.playbook, facts);
  const row = decide(pb.playbook, facts);
  const changed = row?.id !== run.decision?.row;
  run.decision = row ? { row: row.id, condition: row.condition, decision: row.decision, owner: row.owner, sla_minutes: row.sla_minutes, actions: row.actions } : null;
  if (!changed) return;
  const keep = new Map(run.steps.map((s) => [s.id, s]));
  run.steps = planSteps(pb, row?.actions ?? []).map((s) => {
    const old = keep.get(s.id);
    return old && old.status !== 'not_planned' && old.status !== 'awaiting_approval' && old.status !== 'pending' ? { ...s, status: old.status, attempts: old.attempts } : s;
  });
  const start = run.clocks.length ? atIso : run.opened_at;
  const target = pb.playbook.containment.target_minutes;
  const hasContainment = (row?.actions ?? []).some((a) => pb.playbook.containment.steps.find((s) => s.id === a)?.connector !== 'webhook');
  run.clocks = [
    ...(hasContainment ? [run.clocks.find((c) => c.id === 'containment') ?? { id: 'containment' as const, name: `Containment within ${target} minutes`, target_minutes: target, started_at: run.opened_at, due_at: addMinutes(run.opened_at, target), stopped_at: null }] : []),
    ...(row ? [{ id: 'decision' as const, name: `${row.decision} (${row.owner})`, target_minutes: row.sla_minutes, started_at: start, due_at: addMinutes(start, row.sla_minutes), stopped_at: null }] : []),
  ];
}

function stopClocks(run: PlaybookRun, atIso: string, byResponder: boolean): void {
  const planned = run.steps.filter((s) => s.status !== 'not_planned' && s.connector !== 'webhook');
  for (const c of run.clocks) {
    if (c.stopped_at) continue;
    if (c.id === 'containment' && planned.length && planned.every((s) => s.status === 'done')) c.stopped_at = atIso;
    // The decision clock measures acknowledgement: the first thing a responder does.
    if (c.id === 'decision' && byResponder) c.stopped_at = atIso;
  }
}

export function createRunner(d: RunDeps) {
  const save = (run: PlaybookRun): Promise<void> => d.store.putDocument(RUNS, run.incident, run);
  const nowIso = (): string => iso(d.now());

  async function runStep(run: PlaybookRun, incident: Incident, collected: Collected, step: ContainmentStep, o: { actor: string; dryRun: boolean; markDone?: boolean; reason?: string }): Promise<ActionRecord> {
    const state = run.steps.find((s) => s.id === step.id)!;
    const at = nowIso();
    let result: ActionResult;
    if (o.markDone) {
      result = { ok: true, manual: true, calls: [], output: { marked_done_by: o.actor }, error: null };
    } else {
      const connector = step.connector === 'storage' ? (d.connectors['storage'] ?? createStorageConnector()) : d.connectors[step.connector];
      result = connector
        ? await connector.execute({ incident, step, iocs: collected.iocs, models: collected.models, reason: o.reason ?? `incident ${incident.id}: ${run.decision?.decision ?? 'playbook step'}`, dryRun: o.dryRun })
        : { ok: false, manual: false, calls: [], output: null, error: `the ${step.connector} connector is not configured` };
    }
    const rec: ActionRecord = {
      seq: run.actions.length + 1,
      step: step.id,
      connector: step.connector,
      action: step.action,
      mode: step.mode,
      actor: o.actor,
      at,
      params: step.params,
      dry_run: o.dryRun,
      ok: result.ok,
      manual: result.manual,
      marked_done: !!o.markDone,
      calls: result.calls,
      output: result.output,
      error: result.error,
    };
    run.actions.push(rec);
    if (!o.dryRun) {
      state.attempts++;
      state.status = !result.ok ? 'failed' : result.manual && !o.markDone ? 'manual_pending' : 'done';
    }
    await d.evidence.append({ kind: 'action', incident: incident.id, actor: o.actor, body: rec });
    stopClocks(run, at, o.actor !== SYSTEM_ACTOR && !o.dryRun);
    return rec;
  }

  async function load(incidentId: string): Promise<{ run: PlaybookRun; incident: Incident; pb: LoadedPlaybook; collected: Collected }> {
    const incident = await requireIncident(d.store, incidentId);
    const run = await getRun(d.store, incidentId);
    if (!run) throw new MwError('MW_ERR_RESPOND_NOT_FOUND', `incident ${incidentId} has no playbook run yet (mirrorwatch incident run ${incidentId})`);
    const pb = d.playbooks.find((p) => p.playbook.id === run.playbook.id) ?? choosePlaybook(d.playbooks, incident);
    return { run, incident, pb, collected: await collectIncident(d.store, incident) };
  }

  const open = (run: PlaybookRun): void => {
    if (run.status === 'closed') throw new MwError('MW_ERR_RESPOND_CLOSED', `incident ${run.incident} is closed (mirrorwatch incident reopen ${run.incident})`);
  };

  return {
    /** Instantiates the playbook on an incident (once; a second call returns the existing run). */
    async instantiate(incidentId: string, o: { dryRun?: boolean; actor?: string } = {}): Promise<{ run: PlaybookRun; created: boolean; actions: ActionRecord[] }> {
      const existing = await getRun(d.store, incidentId);
      const incident = await requireIncident(d.store, incidentId);
      if (existing && !o.dryRun) return { run: existing, created: false, actions: [] };
      const pb = choosePlaybook(d.playbooks, incident);
      const collected = await collectIncident(d.store, incident);
      const run: PlaybookRun = {
        incident: incident.id,
        principals: incident.principals,
        playbook: { id: pb.playbook.id, name: pb.playbook.name, version: pb.playbook.version, file: pb.file, sha256: sha256Hex(canonicalJson(pb.playbook)) },
        opened_at: incident.opened_at,
        instantiated_at: nowIso(),
        facts: {} as Facts,
        fact_reasons: {},
        confirmed: {},
        decision: null,
        escalation: [],
        vectors: classifyVectors(pb.playbook, incident, collected.alerts),
        triage: pb.playbook.triage.map((t) => (t.fill ? { id: t.id, name: t.name, status: 'filled' as const, ...collected.fill(t.fill) } : { id: t.id, name: t.name, status: 'manual' as const, query: '', numbers: {}, summary: 'to be filled by the responder' })),
        steps: [],
        actions: [],
        notes: [],
        clocks: [],
        status: 'open',
        closed: null,
        held: false,
      };
      evaluate(run, pb, collected, incident, run.opened_at);
      const actor = o.actor ?? SYSTEM_ACTOR;
      if (!o.dryRun) {
        await d.evidence.append({ kind: 'incident', incident: incident.id, actor, body: incident });
        for (const a of collected.alerts) await d.evidence.append({ kind: 'alert', incident: incident.id, actor, body: a });
        await d.evidence.append({ kind: 'run', incident: incident.id, actor, body: { playbook: run.playbook, facts: run.facts, fact_reasons: run.fact_reasons, decision: run.decision, escalation: run.escalation, vectors: run.vectors } });
      }
      // Policy: only `auto` steps act without a responder; manual steps only generate what a responder runs.
      const auto = run.steps.filter((s) => s.status === 'pending' && (s.mode === 'auto' || s.mode === 'manual'));
      const actions: ActionRecord[] = [];
      for (const s of auto) actions.push(await runStep(run, incident, collected, pb.playbook.containment.steps.find((x) => x.id === s.id)!, { actor: SYSTEM_ACTOR, dryRun: !!o.dryRun }));
      if (!o.dryRun) await save(run);
      return { run, created: true, actions };
    },

    /** Runs one containment step (approval and manual steps, retries of failed ones); `markDone` closes a manual step. */
    async act(incidentId: string, stepId: string, o: { actor: string; dryRun?: boolean; markDone?: boolean; reason?: string }): Promise<{ run: PlaybookRun; action: ActionRecord }> {
      const { run, incident, pb, collected } = await load(incidentId);
      open(run);
      const step = pb.playbook.containment.steps.find((s) => s.id === stepId);
      if (!step) throw new MwError('MW_ERR_RESPOND_UNKNOWN_STEP', `playbook ${pb.playbook.id} has no step "${stepId}" (steps: ${pb.playbook.containment.steps.map((s) => s.id).join(', ')})`);
      if (o.markDone && step.mode !== 'manual') throw new MwError('MW_ERR_USAGE', `--done marks a manual step; ${stepId} is ${step.mode}`);
      const action = await runStep(run, incident, collected, step, { actor: o.actor, dryRun: !!o.dryRun, markDone: !!o.markDone, ...(o.reason ? { reason: o.reason } : {}) });
      if (!o.dryRun) await save(run);
      return { run, action };
    },

    async note(incidentId: string, text: string, actor: string): Promise<PlaybookRun> {
      const { run } = await load(incidentId);
      const at = nowIso();
      run.notes.push({ at, actor, text });
      await d.evidence.append({ kind: 'note', incident: incidentId, actor, body: { text } });
      stopClocks(run, at, true);
      await save(run);
      return run;
    },

    async confirm(incidentId: string, fact: Fact, value: boolean, actor: string): Promise<PlaybookRun> {
      if (!(CONFIRMABLE_FACTS as readonly string[]).includes(fact)) throw new MwError('MW_ERR_USAGE', `only these facts can be confirmed: ${CONFIRMABLE_FACTS.join(', ')}`);
      const { run, incident, pb, collected } = await load(incidentId);
      open(run);
      const at = nowIso();
      run.confirmed[fact] = value;
      const before = run.decision?.row ?? null;
      evaluate(run, pb, collected, incident, at);
      await d.evidence.append({ kind: 'confirm', incident: incidentId, actor, body: { fact, value, decision_before: before, decision_after: run.decision?.row ?? null, escalation: run.escalation } });
      stopClocks(run, at, true);
      await save(run);
      return run;
    },

    async close(incidentId: string, decision: string, actor: string): Promise<PlaybookRun> {
      const { run } = await load(incidentId);
      open(run);
      const at = nowIso();
      run.status = 'closed';
      run.closed = { at, actor, decision };
      stopClocks(run, at, true);
      await d.evidence.append({ kind: 'close', incident: incidentId, actor, body: { decision } });
      await save(run);
      return run;
    },

    async reopen(incidentId: string, actor: string, reason: string): Promise<PlaybookRun> {
      const { run } = await load(incidentId);
      run.status = 'open';
      run.closed = null;
      await d.evidence.append({ kind: 'reopen', incident: incidentId, actor, body: { reason } });
      await save(run);
      return run;
    },

    /** Legal hold: copies the incident's evidence events, with their original record hashes, into the chain. */
    async hold(incidentId: string, actor: string): Promise<{ run: PlaybookRun; copied: number }> {
      const { run, collected } = await load(incidentId);
      const ids = [...new Set(collected.alerts.flatMap((a) => a.evidence))];
      const held = new Set((await d.evidence.entries({ incident: incidentId })).filter((e) => e.kind === 'hold_event').map((e) => (e.body as { event: { id: string } }).event.id));
      let copied = 0;
      for (const e of await d.store.getEvents(ids.filter((x) => !held.has(x)))) {
        const { raw, ...event } = e;
        await d.evidence.append({ kind: 'hold_event', incident: incidentId, actor, body: { event, raw, raw_sha256: sha256Hex(raw), record_hash: e.provenance.recordHash } });
        copied++;
      }
      run.held = true;
      await save(run);
      return { run, copied };
    },

    collect: async (incidentId: string): Promise<Collected> => collectIncident(d.store, await requireIncident(d.store, incidentId)),
  };
}

export type Runner = ReturnType<typeof createRunner>;
