/** The fields every event shares, built the same way by every parser. */
import type { Principal, Provenance, RecordRef } from '../../events/index.js';
import { eventId } from '../../util/hash.js';
import type { ParseContext } from '../types.js';

export interface Envelope {
  id: string;
  time: string;
  principal: Principal;
  provenance: Provenance;
}

export function envelope(ctx: ParseContext, records: readonly RecordRef[], time: string, principalRaw: string): Envelope {
  const first = records[0]!;
  const provenance: Provenance = {
    format: ctx.format,
    file: ctx.file,
    line: first.line,
    offset: first.offset,
    recordHash: first.hash,
  };
  if (records.length > 1) provenance.joined = records.slice(1).map((r) => ({ ...r }));
  return {
    id: eventId(ctx.format, records.map((r) => r.hash)),
    time,
    principal: { raw: principalRaw, canonical: ctx.resolvePrincipal(principalRaw) },
    provenance,
  };
}

export function str(v: unknown): string | null {
  if (typeof v === 'string') return v.length ? v : null;
  if (typeof v === 'number' && Number.isFinite(v)) return String(v);
  return null;
}

/** A non-negative integer from a number or numeric string; null otherwise. */
export function int(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' && v !== '-' ? Number(v) : NaN;
  return Number.isFinite(n) && n >= 0 ? Math.round(n) : null;
}

export function numOrNull(v: unknown): number | null {
  const n = typeof v === 'number' ? v : typeof v === 'string' && v.trim() !== '' ? Number(v) : NaN;
  return Number.isFinite(n) ? n : null;
}

export function obj(v: unknown): Record<string, unknown> {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

/** 'success' for 2xx/3xx or success words, 'failure' for 4xx/5xx or error words. */
export function outcomeOf(status: unknown): { outcome: 'success' | 'failure' | 'unknown'; httpStatus: number | null } {
  const n = typeof status === 'number' ? status : typeof status === 'string' && /^\d{3}$/.test(status) ? Number(status) : null;
  if (n !== null) return { outcome: n < 400 ? 'success' : 'failure', httpStatus: Math.round(n) };
  if (typeof status === 'string') {
    const s = status.toLowerCase();
    if (/^(ok|success|succeeded|allowed|completed)$/.test(s)) return { outcome: 'success', httpStatus: null };
    if (/(fail|error|denied|forbidden|blocked|rejected)/.test(s)) return { outcome: 'failure', httpStatus: null };
  }
  return { outcome: 'unknown', httpStatus: null };
}

export function hostOf(destination: string): string | null {
  try {
    const u = new URL(/^[a-z][a-z0-9+.-]*:\/\//i.test(destination) ? destination : `https://${destination}`);
    return u.hostname.toLowerCase() || null;
  } catch {
    return null;
  }
}
