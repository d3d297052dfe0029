/**
 * Incident response: the model-theft playbook (PB-53) as executable data,
 * containment through connectors (gateway admin API, storage deny policies,
 * webhook), IoC export (STIX 2.1, CSV, JSON lines), the hash-chained evidence
 * log, forwarding and the report. Reference: docs/respond.md.
 */
import type { Store } from '../store/index.js';
import type { Connector, GatewayConnectorOptions } from './connectors.js';
import { createGatewayConnector, createStorageConnector } from './connectors.js';
import { createEvidenceLog, type EvidenceLog } from './evidence.js';
import { createOutbox, incidentRecord, type OutboxOptions } from './forward.js';
import { defaultPlaybooksDir, loadPlaybooks, type LoadedPlaybook } from './playbook.js';
import { writeReport } from './report.js';
import { createRunner, getRun, requireIncident, type Runner } from './run.js';
import { stixBundle } from './stix.js';
import { assertValidStix } from './stix-check.js';

export { parsePlaybook, loadPlaybooks, formatProblems, defaultPlaybooksDir, FACTS, CONFIRMABLE_FACTS, playbookSchema } from './playbook.js';
export type { Playbook, LoadedPlaybook, PlaybookProblem, Fact } from './playbook.js';
export { createEvidenceLog, verifyEntries, canonicalJson, EVIDENCE_COLLECTION } from './evidence.js';
export type { EvidenceEntry, EvidenceLog, VerifyResult } from './evidence.js';
export { computeFacts, decide, escalate, classifyVectors } from './decide.js';
export { collectIncident } from './collect.js';
export type { Iocs, TriageResult, Collected } from './collect.js';
export { createGatewayConnector, createStorageConnector, storagePolicies, shellQuote } from './connectors.js';
export type { Connector, ActionResult } from './connectors.js';
export { stixBundle, flatIocs, iocsCsv, uuidv5 } from './stix.js';
export { validateStixBundle, checkStixBundle, formatStixProblem, assertValidStix } from './stix-check.js';
export type { StixProblem } from './stix-check.js';
export { alertRecord, incidentRecord, createOutbox, jsonlSink, syslogSink, toCef, toSyslog, toSlack } from './forward.js';
export type { ForwardRecord, Outbox, Sink } from './forward.js';
export { clockStatus, getRun, RUNS } from './run.js';
export type { PlaybookRun, ActionRecord, ClockStatus } from './run.js';
export { writeReport, renderMarkdown, renderHtml, reportBlocks } from './report.js';

export interface ResponderOptions {
  store: Store;
  /** Folder of playbook YAML files (default: the shipped playbooks/). */
  playbooksDir?: string;
  gateway?: GatewayConnectorOptions;
  /** Webhook for the `webhook` connector's steps (durable outbox in the store). */
  webhook?: OutboxOptions;
  /** Clock for action and note times (injected in tests and tabletop replays). */
  now?: () => number;
}

export interface Responder extends Runner {
  readonly playbooks: readonly LoadedPlaybook[];
  readonly evidence: EvidenceLog;
  stix(incidentId: string): Promise<ReturnType<typeof stixBundle>>;
  report(incidentId: string, outDir: string, options?: { pdf?: boolean; onWarning?: (message: string) => void }): Promise<string[]>;
}

export function createResponder(o: ResponderOptions): Responder {
  const now = o.now ?? Date.now;
  const playbooks = loadPlaybooks(o.playbooksDir ?? defaultPlaybooksDir());
  const evidence = createEvidenceLog(o.store, now);
  const connectors: Partial<Record<string, Connector>> = { storage: createStorageConnector() };
  if (o.gateway) connectors['gateway'] = createGatewayConnector(o.gateway);
  if (o.webhook) {
    const outbox = createOutbox(o.store, o.webhook);
    connectors['webhook'] = {
      name: 'webhook',
      async execute(ctx) {
        const rec = incidentRecord(ctx.incident);
        if (ctx.dryRun) return { ok: true, manual: false, calls: [{ method: 'POST', url: o.webhook!.url, body: rec }], output: { dry_run: true }, error: null };
        await outbox.enqueue([rec]);
        const r = await outbox.flush();
        return { ok: r.pending === 0, manual: false, calls: [{ method: 'POST', url: o.webhook!.url }], output: r, error: r.lastError && r.pending ? `${r.pending} record(s) still queued: ${r.lastError}` : null };
      },
    };
  }
  const runner = createRunner({ store: o.store, playbooks, evidence, connectors, now });
  return {
    ...runner,
    playbooks,
    evidence,
    async stix(incidentId) {
      const incident = await requireIncident(o.store, incidentId);
      const run = await getRun(o.store, incidentId);
      const c = await runner.collect(incidentId);
      // Nothing leaves that the STIX 2.1 schemas reject: a consumer would drop or misread it.
      return assertValidStix(stixBundle(incident, c.iocs, { decision: run?.decision?.decision ?? null, owner: run?.decision?.owner ?? null }), `incident ${incidentId}`);
    },
    async report(incidentId, outDir, options = {}) {
      const incident = await requireIncident(o.store, incidentId);
      const run = (await getRun(o.store, incidentId)) ?? (await runner.instantiate(incidentId, { dryRun: true })).run;
      const pb = playbooks.find((p) => p.playbook.id === run.playbook.id) ?? playbooks[0]!;
      const c = await runner.collect(incidentId);
      const v = await evidence.verify();
      return writeReport({ incident, run, playbook: pb.playbook, iocs: c.iocs, evidence: { entries: v.entries, head: v.head, ok: v.ok }, now: now() }, outDir, options);
    },
  };
}
