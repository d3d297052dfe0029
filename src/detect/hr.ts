/**
 * Departing-user watch windows from HR events. The window runs from the
 * resignation (its effective date when earlier than the record) through the
 * last working day plus a margin: CERT's insider-threat guide (Silowash et
 * al. 2012, practice 6) places most insider IP theft within 30 days either
 * side of the departure.
 */
import type { HrEvent } from '../events/index.js';
import { DAY_MS, dayStart } from './stats.js';

export interface WatchWindow {
  startMs: number;
  endMs: number;
  /** The HR event that opened (or last moved) the window. */
  eventId: string;
}

function dateMs(d: string | null): number | null {
  if (!d) return null;
  const ms = Date.parse(d.length === 10 ? `${d}T00:00:00Z` : d);
  return Number.isNaN(ms) ? null : ms;
}

/**
 * Folds one HR event into the principal's window. `noticeDays` stands in for
 * an unknown last working day.
 */
export function updateWatchWindow(
  current: WatchWindow | undefined,
  e: HrEvent,
  eventMs: number,
  marginDays: number,
  noticeDays: number,
): WatchWindow | undefined {
  const effective = dateMs(e.effectiveDate);
  const last = dateMs(e.lastWorkingDay);
  switch (e.action) {
    case 'resignation_submitted': {
      const start = Math.min(eventMs, effective ?? eventMs);
      const lastDay = last ?? start + noticeDays * DAY_MS;
      return { startMs: start, endMs: dayStart(lastDay) + (1 + marginDays) * DAY_MS, eventId: e.id };
    }
    case 'last_working_day':
    case 'termination': {
      const lastDay = last ?? effective ?? eventMs;
      const endMs = dayStart(lastDay) + (1 + marginDays) * DAY_MS;
      if (current) return { ...current, endMs: Math.max(current.endMs, endMs), eventId: e.id };
      // A departure without a recorded resignation: watch the notice period before it.
      return { startMs: Math.min(eventMs, lastDay - noticeDays * DAY_MS), endMs, eventId: e.id };
    }
    default:
      return current;
  }
}

export function inWindow(w: WatchWindow | undefined, ms: number): boolean {
  return !!w && ms >= w.startMs && ms < w.endMs;
}
