/**
 * HR system exports as CSV (Workday / BambooHR style reports): one row per
 * HR event with the employee, the event type and its dates. Column names vary
 * by system; the accepted aliases are listed in docs/sources/hr-csv.md.
 */
import type { HrAction, MwEvent } from '../../events/index.js';
import { toIsoUtc } from '../../util/time.js';
import { envelope } from '../shared/envelope.js';
import type { RawRecord, Sample, SourceParser } from '../types.js';
import { perRecord, quarantine, refOf } from '../types.js';

const ACTION_ALIASES: Record<string, HrAction> = {
  resignation_submitted: 'resignation_submitted',
  resignation: 'resignation_submitted',
  resigned: 'resignation_submitted',
  voluntary_termination_notice: 'resignation_submitted',
  notice_given: 'resignation_submitted',
  last_working_day: 'last_working_day',
  last_day: 'last_working_day',
  termination: 'termination',
  terminated: 'termination',
  involuntary_termination: 'termination',
  role_change: 'role_change',
  transfer: 'role_change',
  promotion: 'role_change',
  job_change: 'role_change',
};

function get(f: Record<string, string>, names: string[]): string | null {
  const lower = new Map(Object.entries(f).map(([k, v]) => [k.toLowerCase().replace(/[\s-]+/g, '_'), v]));
  for (const n of names) {
    const v = lower.get(n)?.trim();
    if (v) return v;
  }
  return null;
}

function dateOnly(v: string | null): string | null {
  if (!v) return null;
  if (/^\d{4}-\d{2}-\d{2}$/.test(v)) return v;
  const iso = toIsoUtc(v);
  return iso ? iso.slice(0, 10) : null;
}

function row(r: RawRecord, ctx: Parameters<SourceParser['parse']>[1]): ReturnType<typeof quarantine> {
  const f = r.fields ?? {};
  const user = get(f, ['principal', 'user_id', 'userid', 'employee_email', 'email', 'employee_id', 'worker']);
  if (!user) return quarantine(r, 'no employee column (principal, user_id, email or employee_id)');
  const rawType = get(f, ['event_type', 'eventtype', 'event', 'action', 'type']);
  const action = rawType ? ACTION_ALIASES[rawType.toLowerCase().replace(/[\s-]+/g, '_')] : undefined;
  if (!action) return quarantine(r, `unknown HR event type ${JSON.stringify(rawType)}`);
  const effective = get(f, ['effective_date', 'date', 'event_date']);
  const whenRaw = get(f, ['timestamp', 'time_generated', 'timegenerated', 'submitted_at', 'recorded_at']) ?? effective;
  const time = whenRaw ? (/^\d{4}-\d{2}-\d{2}$/.test(whenRaw) ? `${whenRaw}T00:00:00.000Z` : toIsoUtc(whenRaw)) : null;
  if (!time) return quarantine(r, `no usable event time (timestamp or effective_date): ${JSON.stringify(whenRaw)}`);
  const ev: MwEvent = {
    ...envelope(ctx, [refOf(r)], time, user),
    kind: 'hr',
    sourceIp: null,
    userAgent: null,
    context: null,
    action,
    effectiveDate: dateOnly(effective) ?? time.slice(0, 10),
    lastWorkingDay: dateOnly(get(f, ['last_working_day', 'last_day', 'termination_date'])),
    details: { ...f },
  };
  return { type: 'event', event: ev, records: [refOf(r)] };
}

export const hrCsvParser: SourceParser = {
  format: 'hr-csv',
  description: 'HR system export (CSV): employee, event type (resignation, last day, termination, role change), dates',
  framing: 'csv',
  detect(s: Sample) {
    const h = (s.lines[0] ?? '').toLowerCase();
    const hasEvent = /(^|,)\s*"?(event_type|eventtype|event|action)"?\s*(,|$)/.test(h);
    const hasDate = /effective_date|last_working_day|termination_date/.test(h);
    return hasEvent && hasDate ? 0.9 : 0;
  },
  parse: perRecord(row),
};
