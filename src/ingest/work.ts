/**
 * What a parse worker does to one framed record: parse it with the format's
 * per-record function, validate each event and encode it for the store.
 * The accounting mirrors the single-thread pipeline (src/ingest/index.ts):
 * references to other records are extra records read, and a record no
 * outcome mentions is quarantined.
 */
import { checkEvent } from '../events/validate.js';
import type { RecordRef } from '../events/index.js';
import type { ParseContext, RawRecord, SourceParser } from '../sources/types.js';
import { refOf } from '../sources/types.js';
import { encodeEvent } from '../store/encode.js';
import type { EncodedEvent } from '../store/encode.js';

/** `raw: null` stands for the framed record's own text, which the main thread already holds. */
export type WorkItem =
  | { t: 'e'; row: Omit<EncodedEvent, 'raw'> & { raw: string | null }; records: number; extra: number }
  | { t: 'q'; refs: RecordRef[]; reason: string; raw: string | null; extra: number };

export function processRecord(parser: SourceParser, r: RawRecord, ctx: ParseContext): WorkItem[] {
  if (!parser.parseRecord) throw new Error(`${parser.format} has no per-record parser`);
  const out = parser.parseRecord(r, ctx);
  const outcomes = Array.isArray(out) ? out : [out];
  const items: WorkItem[] = [];
  let mentioned = false;
  for (const o of outcomes) {
    // The first mention of the framed record takes it (and its text); any other reference is one more record read.
    let own = false;
    let extra = 0;
    for (const ref of o.records) {
      if (!mentioned && ref.line === r.line && ref.offset === r.offset && ref.hash === r.hash) mentioned = own = true;
      else extra++;
    }
    if (o.type === 'reference') throw new Error(`${parser.format}: reference data cannot be parsed on workers`);
    if (o.type === 'quarantine') {
      items.push({ t: 'q', refs: o.records, reason: o.reason, raw: o.raw === r.text ? null : o.raw, extra });
      continue;
    }
    const checked = checkEvent(o.event);
    if (!checked.ok) {
      items.push({ t: 'q', refs: o.records, reason: checked.reason, raw: own ? null : '', extra });
      continue;
    }
    const raw = o.raw ?? (own ? r.text : '');
    const row: WorkItem & { t: 'e' } = { t: 'e', row: encodeEvent(checked.event, raw), records: o.records.length, extra };
    if (raw === r.text) row.row.raw = null;
    items.push(row);
  }
  if (!mentioned) items.push({ t: 'q', refs: [refOf(r)], reason: 'parser produced no outcome for this record', raw: null, extra: 0 });
  return items;
}
