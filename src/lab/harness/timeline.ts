/**
 * Virtual time for the lab. The gateway, its rate limits, budgets and inline
 * detectors all read this clock, so a week of researcher traffic and an
 * eight-hour extraction run in seconds and give the same answers on every
 * run. Background traffic (the benign researchers) is scheduled as events;
 * whoever moves time forward first plays everything due before the new time,
 * in time order, so attack and benign requests interleave as they would live.
 */
export interface TimelineEvent {
  at: number;
  run: () => Promise<void>;
}

export class Timeline {
  private queue: TimelineEvent[] = [];
  private seq = 0;
  private order = new WeakMap<TimelineEvent, number>();
  private feeders: Array<(untilMs: number) => void> = [];

  constructor(public t: number) {}

  now = (): number => this.t;

  schedule(at: number, run: () => Promise<void>): void {
    const e = { at, run };
    this.order.set(e, this.seq++);
    // Binary insertion keeps the queue sorted by (time, insertion order): equal times play in the order scheduled.
    let lo = 0;
    let hi = this.queue.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (this.queue[mid]!.at <= at) lo = mid + 1;
      else hi = mid;
    }
    this.queue.splice(lo, 0, e);
  }

  /** A feeder schedules background work lazily up to the time asked for (a day at a time). */
  addFeeder(feed: (untilMs: number) => void): void {
    this.feeders.push(feed);
  }

  /** Plays every event due at or before `at`, then sets the clock to `at` (time never goes back). */
  async advanceTo(at: number): Promise<void> {
    for (const f of this.feeders) f(at);
    while (this.queue.length > 0 && this.queue[0]!.at <= at) {
      const e = this.queue.shift()!;
      this.t = Math.max(this.t, e.at);
      await e.run();
    }
    this.t = Math.max(this.t, at);
  }

  async advanceBy(ms: number): Promise<void> {
    await this.advanceTo(this.t + ms);
  }

  get pending(): number {
    return this.queue.length;
  }
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 24 * HOUR_MS;

/** The next `hour`:00 UTC at or after t. */
export function nextHour(t: number, hour: number): number {
  const d = new Date(t);
  const at = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate(), hour);
  return at >= t ? at : at + DAY_MS;
}

/**
 * Lets a self-paced traffic loop (one that awaits a hook before each request
 * with that request's event time) run inside the timeline: each call parks
 * the loop until the timeline reaches `atMs`, and the timeline waits for the
 * loop's request to finish (its next call, or `finish`) before moving on.
 */
export function timelineGate(tl: Timeline): { before: (atMs: number) => Promise<void>; finish: () => void } {
  let release: (() => void) | null = null;
  const finish = (): void => {
    const r = release;
    release = null;
    r?.();
  };
  return {
    before: async (atMs) => {
      finish();
      await new Promise<void>((resume) =>
        tl.schedule(
          Math.max(atMs, tl.t),
          () =>
            new Promise<void>((done) => {
              release = done;
              resume();
            }),
        ),
      );
    },
    finish,
  };
}
