/**
 * Normalises a source timestamp to ISO 8601 UTC (`...Z`), or returns null.
 * Accepts ISO 8601 with offset or Z, epoch seconds or milliseconds, and
 * Apache/gunicorn `[06/Feb/2019:00:00:38 +0000]` style.
 */
const MONTHS: Record<string, string> = {
  Jan: '01', Feb: '02', Mar: '03', Apr: '04', May: '05', Jun: '06',
  Jul: '07', Aug: '08', Sep: '09', Oct: '10', Nov: '11', Dec: '12',
};

// Date.parse rolls impossible dates over (31 Feb → 3 Mar); a log line with
// such a date is corrupt and must be quarantined, not moved in time.
function validYmd(y: string, m: string, d: string): boolean {
  const yy = Number(y);
  const mm = Number(m);
  const dd = Number(d);
  if (mm < 1 || mm > 12 || dd < 1) return false;
  const days = new Date(Date.UTC(yy, mm, 0)).getUTCDate();
  return dd <= days;
}

function validHms(h: string, mi: string, se: string): boolean {
  return Number(h) <= 23 && Number(mi) <= 59 && Number(se) <= 60;
}

export function toIsoUtc(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) {
    // Heuristic from magnitude: epoch seconds until the year 2286, else milliseconds.
    const ms = value < 1e10 ? value * 1000 : value;
    const d = new Date(ms);
    return Number.isNaN(d.getTime()) ? null : d.toISOString();
  }
  if (typeof value !== 'string' || value.length < 8) return null;
  const s = value.trim();
  // Fast path for what most sources write: already UTC with Z and up to ms precision.
  const ymd = /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})/.exec(s);
  if (ymd && !(validYmd(ymd[1]!, ymd[2]!, ymd[3]!) && validHms(ymd[4]!, ymd[5]!, ymd[6]!))) return null;
  if (/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/.test(s)) {
    const ms = Date.parse(s);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  // Nanosecond precision (KServe, MinIO): keep ms, which is what JS Dates hold.
  const hi = /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2})(\.\d+)?(Z|[+-]\d{2}:?\d{2})$/.exec(s);
  if (hi) {
    const frac = hi[2] ? hi[2].slice(0, 4) : '';
    const ms = Date.parse(`${hi[1]}${frac}${hi[3]}`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  const clf = /^\[?(\d{2})\/(\w{3})\/(\d{4}):(\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2})\]?$/.exec(s);
  if (clf) {
    const mon = MONTHS[clf[2]!];
    if (!mon || !validYmd(clf[3]!, mon, clf[1]!) || !validHms(clf[4]!, clf[5]!, clf[6]!)) return null;
    const ms = Date.parse(`${clf[3]}-${mon}-${clf[1]}T${clf[4]}:${clf[5]}:${clf[6]}${clf[7]}${clf[8]}:${clf[9]}`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  // Space instead of T, no zone: treated as UTC (documented per source).
  const sp = /^(\d{4}-\d{2}-\d{2})[ T](\d{2}:\d{2}:\d{2}(\.\d+)?)$/.exec(s);
  if (sp) {
    const ms = Date.parse(`${sp[1]}T${sp[2]!.slice(0, 12)}Z`);
    return Number.isNaN(ms) ? null : new Date(ms).toISOString();
  }
  return null;
}
