import { writeFile, mkdir } from 'node:fs/promises';
import { userInfo } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { MwError } from '../../errors/index.js';
import {
  alertRecord,
  clockStatus,
  CONFIRMABLE_FACTS,
  createOutbox,
  createResponder,
  flatIocs,
  getRun,
  incidentRecord,
  iocsCsv,
  jsonlSink,
  syslogSink,
  type Fact,
  type ForwardRecord,
  type PlaybookRun,
  type Responder,
} from '../../respond/index.js';
import type { Store } from '../../store/index.js';
import { sha256Hex } from '../../util/hash.js';
import { toIsoUtc } from '../../util/time.js';
import { addDbOption, printJson, withStore } from '../shared.js';

interface Common {
  db: string;
  playbooks?: string;
  gatewayAdmin?: string;
  webhook?: string;
  actor?: string;
  at?: string;
  json?: boolean;
}

function common(cmd: Command): Command {
  addDbOption(cmd);
  return cmd
    .option('--playbooks <dir>', 'folder of playbook YAML files (default: the shipped playbooks/)')
    .option('--gateway-admin <url>', 'gateway admin API base URL (token from MIRRORWATCH_GATEWAY_ADMIN_TOKEN)', process.env['MIRRORWATCH_GATEWAY_ADMIN'])
    .option('--webhook <url>', 'webhook for the playbook\'s notify steps', process.env['MIRRORWATCH_WEBHOOK'])
    .option('--actor <name>', 'who acts (recorded in the evidence log)', defaultActor())
    .option('--at <time>', 'record this time instead of the clock (tabletop exercises, replays)')
    .option('--json', 'print JSON');
}

function defaultActor(): string {
  try {
    return process.env['MIRRORWATCH_ACTOR'] ?? userInfo().username;
  } catch {
    return 'unknown';
  }
}

function clockOf(at: string | undefined): () => number {
  if (at === undefined) return Date.now;
  const t = toIsoUtc(at);
  if (!t) throw new MwError('MW_ERR_USAGE', `--at must be an ISO 8601 time (got "${at}")`);
  const ms = Date.parse(t);
  return () => ms;
}

async function withResponder<T>(o: Common, fn: (r: Responder, store: Store) => Promise<T>): Promise<T> {
  const now = clockOf(o.at);
  const token = process.env['MIRRORWATCH_GATEWAY_ADMIN_TOKEN'];
  if (o.gatewayAdmin && !token) throw new MwError('MW_ERR_RESPOND_CONNECTOR', '--gateway-admin needs the admin token in MIRRORWATCH_GATEWAY_ADMIN_TOKEN');
  return withStore(o.db, (store) =>
    fn(
      createResponder({
        store,
        now,
        ...(o.playbooks ? { playbooksDir: o.playbooks } : {}),
        ...(o.gatewayAdmin && token ? { gateway: { adminUrl: o.gatewayAdmin, token } } : {}),
        ...(o.webhook ? { webhook: { url: o.webhook } } : {}),
      }),
      store,
    ),
  );
}

const out = (s: string): boolean => process.stdout.write(s.endsWith('\n') ? s : s + '\n');

function printRun(r: PlaybookRun, nowMs: number): void {
  out(`incident ${r.incident}  ${r.principals.join(',')}  playbook ${r.playbook.id} v${r.playbook.version}  ${r.status}`);
  out(`decision: ${r.decision ? `${r.decision.decision}  (owner ${r.decision.owner}, SLA ${r.decision.sla_minutes} min; ${r.decision.condition})` : 'none'}`);
  out(`escalate: ${r.escalation.map((e) => `${e.id} -> ${e.notify.join(', ')}`).join('; ') || '-'}`);
  out(`vectors:  ${r.vectors.map((v) => `${v.id} (${v.severity})`).join(', ') || '-'}`);
  for (const c of r.clocks.map((c) => clockStatus(c, nowMs))) out(`clock ${c.id.padEnd(11)} due ${c.due_at}  ${c.state}${c.state === 'running' ? ` (${c.minutes} min left)` : c.state === 'breached' ? ` (by ${c.minutes} min)` : ''}`);
  out('triage:');
  for (const t of r.triage) out(`  ${t.name}: ${t.summary}`);
  out('steps:');
  for (const s of r.steps) out(`  ${s.id.padEnd(18)} ${s.mode.padEnd(8)} ${s.status}${s.attempts ? ` (${s.attempts} attempt(s))` : ''}`);
  for (const n of r.notes) out(`note ${n.at} ${n.actor}: ${n.text}`);
}

export function register(program: Command): void {
  const inc = program.command('incident').description('Respond to incidents with the model-theft playbook: decide, contain, collect IoCs, report');
  inc.addHelpText('after', '\nPlaybooks, facts, connectors and evidence: docs/respond.md.');

  common(inc.command('list').description('Incidents in the store with their playbook run status')).action(async (o: Common) => {
    await withResponder(o, async (_r, store) => {
      const { rows } = await store.listIncidents({ limit: 10_000 });
      const runs = await Promise.all(rows.map((i) => getRun(store, i.id)));
      if (o.json) return printJson(rows.map((i, k) => ({ ...i, run: runs[k] ? { status: runs[k]!.status, decision: runs[k]!.decision, owner: runs[k]!.decision?.owner ?? null } : null })));
      if (!rows.length) return out('no incidents (run mirrorwatch detect first)');
      rows.forEach((i, k) => out(`${i.id}  ${i.severity.padEnd(8)} risk ${String(i.risk).padEnd(5)} ${i.principals.join(',').padEnd(16)} opened ${i.opened_at}  ${runs[k] ? `${runs[k]!.status}: ${runs[k]!.decision?.decision ?? '-'}` : 'no run'}`));
    });
  });

  common(inc.command('show').argument('<id>').description('The incident and its playbook run (decision, clocks, triage, steps)')).action(async (id: string, o: Common) => {
    await withResponder(o, async (r, store) => {
      const incident = await store.getIncident(id);
      if (!incident) throw new MwError('MW_ERR_RESPOND_NOT_FOUND', `no incident ${id}`);
      const run = (await getRun(store, id)) ?? (await r.instantiate(id, { dryRun: true })).run;
      if (o.json) return printJson({ incident, run, clocks: run.clocks.map((c) => clockStatus(c, clockOf(o.at)())) });
      printRun(run, clockOf(o.at)());
    });
  });

  common(
    inc
      .command('run')
      .argument('[id]')
      .option('--all', 'every incident that has no run yet (after each detect run, from a scheduler)')
      .option('--dry-run', 'show the decision and what would run, change nothing'),
  )
    .description('Instantiate the playbook on an incident: decide, start SLA clocks, fill triage, run automatic steps')
    .action(async (id: string | undefined, o: Common & { dryRun?: boolean; all?: boolean }) => {
      if (!id === !o.all) throw new MwError('MW_ERR_USAGE', 'give an incident id or --all');
      await withResponder(o, async (r, store) => {
        const ids = id ? [id] : (await store.listIncidents({ limit: 100_000 })).rows.map((i) => i.id);
        const results = [];
        for (const x of ids) {
          if (o.all && (await getRun(store, x))) continue;
          results.push(await r.instantiate(x, { dryRun: !!o.dryRun, actor: o.actor! }));
        }
        if (o.json) return printJson(id ? results[0] : results);
        for (const res of results) {
          if (!res.created) out(`playbook already running on ${res.run.incident}`);
          printRun(res.run, clockOf(o.at)());
          for (const a of res.actions) out(`${a.dry_run ? (a.ok ? 'would run' : 'would FAIL') : a.ok ? 'ran' : 'FAILED'} ${a.step}${a.error ? `: ${a.error}` : ''}`);
        }
        if (o.all && !results.length) out('every incident already has a playbook run');
        // Failed automatic steps are recorded and retried with `incident act`; the exit code tells scripts.
        if (results.some((res) => res.actions.some((a) => !a.ok && !a.dry_run))) process.exitCode = 1;
      });
    });

  common(
    inc
      .command('act')
      .argument('<id>')
      .argument('<step>', 'containment step id (incident show lists them)')
      .option('--dry-run', 'show the calls, send nothing')
      .option('--done', 'mark a manual step done (after running its commands)')
      .option('--reason <text>', 'reason sent with the action'),
  )
    .description('Run one containment step (approval steps, retries of failed ones, manual steps)')
    .action(async (id: string, step: string, o: Common & { dryRun?: boolean; done?: boolean; reason?: string }) => {
      await withResponder(o, async (r) => {
        const { action } = await r.act(id, step, { actor: o.actor!, dryRun: !!o.dryRun, markDone: !!o.done, ...(o.reason ? { reason: o.reason } : {}) });
        if (o.json) printJson(action);
        else {
          out(`${action.dry_run ? 'dry run' : action.ok ? 'ok' : 'FAILED'}: ${action.step} (${action.connector} ${action.action})${action.error ? `: ${action.error}` : ''}`);
          for (const c of action.calls) out(`  ${c.method} ${c.url}${c.status ? ` -> ${c.status}` : ''}${c.body ? ` ${JSON.stringify(c.body)}` : ''}`);
          const o2 = action.output as { commands?: string[]; files?: Record<string, string> } | null;
          if (o2?.files) for (const [f, text] of Object.entries(o2.files)) out(`--- ${f}\n${text}`);
          if (o2?.commands) for (const c of o2.commands) out(c);
        }
        if (!action.ok) throw new MwError('MW_ERR_RESPOND_ACTION_FAILED', `${step} failed and is recorded; fix the cause and run it again: ${action.error ?? ''}`);
      });
    });

  common(inc.command('note').argument('<id>').argument('<text>').description('Add a note to the incident (hash-chained)')).action(async (id: string, text: string, o: Common) => {
    await withResponder(o, async (r) => {
      await r.note(id, text, o.actor!);
      out('noted');
    });
  });

  common(inc.command('confirm').argument('<id>').argument('<fact>', CONFIRMABLE_FACTS.join(' | ')).option('--not', 'record that the fact does not hold').description('Confirm a fact only a responder can establish; the decision is re-evaluated')).action(
    async (id: string, fact: string, o: Common & { not?: boolean }) => {
      await withResponder(o, async (r) => {
        const run = await r.confirm(id, fact as Fact, !o.not, o.actor!);
        out(`decision: ${run.decision?.decision ?? 'none'} (owner ${run.decision?.owner ?? '-'}); escalate: ${run.escalation.map((e) => e.notify.join(', ')).join('; ') || '-'}`);
      });
    },
  );

  common(inc.command('close').argument('<id>').requiredOption('--decision <text>', 'the closing decision (what was concluded)').description('Close the incident')).action(async (id: string, o: Common & { decision: string }) => {
    await withResponder(o, async (r) => {
      await r.close(id, o.decision, o.actor!);
      out(`closed ${id}`);
    });
  });

  common(inc.command('reopen').argument('<id>').requiredOption('--reason <text>').description('Reopen a closed incident')).action(async (id: string, o: Common & { reason: string }) => {
    await withResponder(o, async (r) => {
      await r.reopen(id, o.actor!, o.reason);
      out(`reopened ${id}`);
    });
  });

  common(inc.command('hold').argument('<id>').description('Legal hold: copy the evidence events, with their original record hashes, into the evidence chain')).action(async (id: string, o: Common) => {
    await withResponder(o, async (r) => {
      const res = await r.hold(id, o.actor!);
      out(`legal hold on ${id}: ${res.copied} event(s) copied into the evidence chain`);
    });
  });

  common(inc.command('ioc').argument('<id>').option('--format <f>', 'stix | csv | jsonl', 'jsonl').description('Indicators of compromise of the incident')).action(async (id: string, o: Common & { format: string }) => {
    await withResponder(o, async (r) => {
      if (o.format === 'stix') return printJson(await r.stix(id));
      const rows = flatIocs((await r.collect(id)).iocs);
      if (o.format === 'csv') process.stdout.write(iocsCsv(rows));
      else if (o.format === 'jsonl') process.stdout.write(rows.map((x) => JSON.stringify(x) + '\n').join(''));
      else throw new MwError('MW_ERR_USAGE', `--format must be stix, csv or jsonl (got ${o.format})`);
    });
  });

  common(inc.command('export-stix').argument('<id>').description('Print the STIX 2.1 bundle of the incident\'s IoCs')).action(async (id: string, o: Common) => {
    await withResponder(o, async (r) => printJson(await r.stix(id)));
  });

  common(inc.command('report').argument('<id>').option('--out <dir>', 'output folder', '.').option('--no-pdf', 'skip the PDF even when Chromium is installed').description('Write the incident report: Markdown, self-contained HTML, PDF where Chromium is present')).action(
    async (id: string, o: Common & { out: string; pdf?: boolean }) => {
      await withResponder(o, async (r) => {
        for (const f of await r.report(id, o.out, { pdf: o.pdf !== false, onWarning: (m) => process.stderr.write(`mirrorwatch: ${m}\n`) })) out(f);
      });
    },
  );

  common(
    inc
      .command('forward')
      .option('--jsonl <file>', 'append records to a JSON lines file')
      .option('--syslog <target>', 'udp://host:port or tcp://host:port (RFC 5424 + CEF)')
      .option('--slack', 'send --webhook records as Slack-compatible payloads')
      .option('--since <time>', 'only alerts and incidents updated at or after this event time'),
  )
    .description('Forward alerts and incident updates (each once per sink); webhooks go through a durable outbox')
    .action(async (o: Common & { jsonl?: string; syslog?: string; slack?: boolean; since?: string }) => {
      if (!o.jsonl && !o.syslog && !o.webhook) throw new MwError('MW_ERR_USAGE', 'give at least one sink: --jsonl FILE, --syslog udp://host:port, --webhook URL');
      const since = o.since ? toIsoUtc(o.since) : null;
      if (o.since && !since) throw new MwError('MW_ERR_USAGE', `--since must be an ISO 8601 time (got "${o.since}")`);
      await withStore(o.db, async (store) => {
        const alerts = (await store.listAlerts({ limit: 1_000_000, ...(since ? { since } : {}) })).rows.map(alertRecord);
        const incidents = (await store.listIncidents({ limit: 100_000 })).rows.filter((i) => !since || i.updated_at >= since).map(incidentRecord);
        const records: ForwardRecord[] = [...alerts, ...incidents];
        const lines: string[] = [];
        const sinks = [...(o.jsonl ? [jsonlSink(o.jsonl)] : []), ...(o.syslog ? [syslogSink(o.syslog)] : [])];
        for (const s of sinks) {
          const ledger = `fwd:${sha256Hex(s.name).slice(0, 12)}:`;
          const fresh: ForwardRecord[] = [];
          for (const rec of records) if (!(await store.getDocument('respond-forwarded', ledger + rec.key))) fresh.push(rec);
          try {
            await s.send(fresh);
          } catch (e) {
            throw new MwError('MW_ERR_RESPOND_FORWARD', `${s.name}: ${(e as Error).message}`);
          }
          for (const rec of fresh) await store.putDocument('respond-forwarded', ledger + rec.key, { at: new Date().toISOString() });
          lines.push(`${s.name}: ${fresh.length} sent`);
        }
        if (o.webhook) {
          const box = createOutbox(store, { url: o.webhook, format: o.slack ? 'slack' : 'json' });
          const queued = await box.enqueue(records);
          const f = await box.flush();
          lines.push(`webhook ${o.webhook}: ${queued} queued, ${f.delivered} delivered, ${f.pending} pending`);
          if (f.pending) {
            lines.forEach((l) => out(l));
            throw new MwError('MW_ERR_RESPOND_FORWARD', `${f.pending} record(s) stay in the outbox: ${f.lastError ?? ''}`);
          }
        }
        lines.forEach((l) => out(l));
      });
    });

  const ev = program.command('evidence').description('The hash-chained evidence log of incident response');
  common(ev.command('verify').description('Verify the whole chain; names the first broken entry')).action(async (o: Common) => {
    await withResponder(o, async (r) => {
      const v = await r.evidence.verify();
      if (o.json) printJson(v);
      if (!v.ok) throw new MwError('MW_ERR_RESPOND_EVIDENCE_BROKEN', `entry ${v.broken!.seq} (position ${v.broken!.position}): ${v.broken!.reason}`);
      if (!o.json) out(`evidence log verified: ${v.entries} entries, head ${v.head}`);
    });
  });
  common(ev.command('export').argument('<id>').requiredOption('--out <dir>', 'output folder').description('Write the incident\'s evidence entries and a manifest of hashes')).action(async (id: string, o: Common & { out: string }) => {
    await withResponder(o, async (r) => {
      const v = await r.evidence.verify();
      const entries = await r.evidence.entries({ incident: id });
      if (!entries.length) throw new MwError('MW_ERR_RESPOND_NOT_FOUND', `no evidence entries for incident ${id}`);
      await mkdir(o.out, { recursive: true });
      const text = entries.map((e) => JSON.stringify(e) + '\n').join('');
      const file = join(o.out, `evidence-${id}.jsonl`);
      await writeFile(file, text);
      const manifest = { incident: id, chain: { verified: v.ok, entries: v.entries, head: v.head }, files: [{ name: `evidence-${id}.jsonl`, sha256: sha256Hex(text), entries: entries.length }], entries: entries.map((e) => ({ seq: e.seq, kind: e.kind, hash: e.hash, prev: e.prev })) };
      await writeFile(join(o.out, 'manifest.json'), JSON.stringify(manifest, null, 2) + '\n');
      out(`${file}\n${join(o.out, 'manifest.json')}`);
      if (!v.ok) throw new MwError('MW_ERR_RESPOND_EVIDENCE_BROKEN', `exported, but the chain fails at entry ${v.broken!.seq}: ${v.broken!.reason}`);
    });
  });
}
