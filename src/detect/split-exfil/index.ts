/**
 * Split-file exfiltration (ATT&CK T1030-style chunking to stay under DLP
 * size limits): per principal and destination, a run of uploads with
 * near-identical sizes, split-archive names (`_aa`, `.001`, `.part1`,
 * `.z01`), or high entropy (encrypted or compressed content, which DLP cannot
 * inspect), sent to a destination outside the organisation. A second alert
 * fires when the run's cumulative bytes reach a fraction of the model
 * artifacts the same principal pulled recently: the archive is big enough to
 * hold them.
 */
import { z } from 'zod';
import type { MwEvent, UploadEvent } from '../../events/index.js';
import type { Alert, Severity } from '../alert.js';
import { makeAlert, MAX_EVIDENCE } from '../alert.js';
import { artifactResolver } from '../scope.js';
import { DAY_MS, fmt } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const splitExfilOptions = z
  .object({
    /** Uploads of one run considered together, days of event time. */
    runWindowDays: z.number().positive().default(7),
    /** Uploads in a run needed before it alerts. */
    minRunLength: z.number().int().min(2).default(4),
    /** Sizes within this relative tolerance of the run's most common size count as near-identical. */
    sizeTolerance: z.number().min(0).max(1).default(0.02),
    /**
     * Bits per byte from which content counts as encrypted or compressed: random
     * data approaches 8; text and office formats sit well below 7.5.
     */
    highEntropyBitsPerByte: z.number().min(0).max(8).default(7.5),
    /** Host suffixes that are sanctioned destinations besides the organisation's own domains. */
    sanctionedHosts: z.array(z.string()).default([]),
    /** Artifact pulls remembered per principal for the cumulative-bytes match, days. */
    artifactLookbackDays: z.number().positive().default(30),
    /** The run's cumulative bytes at this fraction of the largest recently pulled artifact fire the match alert. */
    artifactMatchFraction: z.number().positive().max(2).default(0.5),
    /** Uploads kept per principal (oldest evicted). */
    maxUploadsPerPrincipal: z.number().int().positive().default(128),
    /** Artifact pulls kept per principal (oldest evicted). */
    maxPullsPerPrincipal: z.number().int().positive().default(32),
  })
  .strict();
export type SplitExfilOptions = z.infer<typeof splitExfilOptions>;

/** Split-archive part names as split(1), 7-Zip, WinRAR, zip -s and rclone chunker write them. */
export const SPLIT_NAME = /(?:[._-][a-z]{2}|\.\d{3}|\.part\d+(?:\.rar)?|\.z\d{2}|\.r\d{2}|[._-]part[-_]?\d+|\.chunk\.?\d+)$/i;
/** `_aa` style suffixes alone are too common in ordinary names; require the run to show more than one. */
const SPLIT_ALPHA = /[._-]([a-z])([a-z])$/i;

interface Upload {
  ms: number;
  size: number;
  split: boolean;
  entropy: number | null;
  id: string;
}

/**
 * A run: uploads to one destination with no gap longer than the run window.
 * It alerts once, and once more on the artifact match, however long it lasts.
 */
interface Run {
  uploads: Upload[];
  startMs: number;
  firstId: string;
  /** Bytes of the whole run, including uploads older than the window. */
  bytes: number;
  alerted: boolean;
  matched: boolean;
}

interface PrincipalState {
  runs: Map<string, Run>;
  pulls: Array<{ ms: number; bytes: number; model: string }>;
}

interface Snapshot {
  states: Array<[string, { runs: Array<[string, Run]>; pulls: PrincipalState['pulls'] }]>;
}

const TECHNIQUES = ['AML.T0025', 'T1567', 'T1048', 'T1027', 'T1036.005'] as const;

function sanctioned(e: UploadEvent, ctx: DetectionContext, extra: readonly string[]): boolean {
  const host = (e.destinationHost ?? e.destination).toLowerCase();
  if (ctx.orgLabels.some((l) => host.split(/[.-]/).includes(l))) return true;
  return extra.some((h) => host === h || host.endsWith(`.${h}`));
}

function splitName(name: string): boolean {
  const base = name.replace(/^.*[\\/]/, '');
  if (!SPLIT_NAME.test(base)) return false;
  const alpha = SPLIT_ALPHA.exec(base);
  // `_aa`..`_zz`: split(1) suffixes. A lone `report_v2` style name must not match, so letters only.
  return !alpha || /^[a-z]{2}$/i.test(`${alpha[1]}${alpha[2]}`);
}

export const splitExfil: Detector<SplitExfilOptions> = {
  id: 'split-exfil',
  title: 'Split, uniformly sized or encrypted uploads to an unsanctioned destination',
  accepts: ['upload', 'registry', 'object'],
  options: splitExfilOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: 2 * o.maxUploadsPerPrincipal + o.maxPullsPerPrincipal,
    maxBytesPerPrincipal: o.maxUploadsPerPrincipal * 200 + o.maxPullsPerPrincipal * 64,
  }),
  create(o, ctx): DetectorInstance {
    const states = new Map<string, PrincipalState>();
    const resolve = artifactResolver(ctx);
    const windowMs = o.runWindowDays * DAY_MS;
    const lookMs = o.artifactLookbackDays * DAY_MS;

    function state(p: string): PrincipalState {
      let s = states.get(p);
      if (!s) states.set(p, (s = { runs: new Map(), pulls: [] }));
      return s;
    }

    function total(s: PrincipalState): number {
      let n = 0;
      for (const r of s.runs.values()) n += r.uploads.length;
      return n;
    }

    function onUpload(e: UploadEvent, ms: number): Alert[] {
      if (sanctioned(e, ctx, o.sanctionedHosts)) return [];
      const p = e.principal.canonical;
      const s = state(p);
      const host = (e.destinationHost ?? e.destination).toLowerCase();
      let run = s.runs.get(host);
      const prev = run?.uploads[run.uploads.length - 1];
      if (!run || !prev || ms - prev.ms > windowMs) {
        run = { uploads: [], startMs: ms, firstId: e.id, bytes: 0, alerted: false, matched: false };
        s.runs.set(host, run);
      }
      run.uploads = run.uploads.filter((u) => ms - u.ms <= windowMs);
      run.uploads.push({ ms, size: e.size ?? 0, split: splitName(e.fileName), entropy: e.entropy, id: e.id });
      run.bytes += e.size ?? 0;
      while (total(s) > o.maxUploadsPerPrincipal) {
        // Evict the oldest upload across destinations (never the one just added).
        let oldest: Run | undefined;
        for (const r of s.runs.values()) if (r.uploads.length && r !== run && (!oldest || r.uploads[0]!.ms < oldest.uploads[0]!.ms)) oldest = r;
        (oldest ?? run).uploads.shift();
      }
      for (const [h, r] of s.runs) if (!r.uploads.length) s.runs.delete(h);
      return evaluate(p, s, host, run, ms);
    }

    function evaluate(p: string, s: PrincipalState, host: string, r: Run, ms: number): Alert[] {
      const run = r.uploads;
      if (run.length < o.minRunLength) return [];
      // The most common size (within tolerance) and how many uploads share it.
      let mode = 0;
      let same = 0;
      for (const u of run) {
        if (u.size <= 0) continue;
        const n = run.filter((v) => Math.abs(v.size - u.size) <= o.sizeTolerance * u.size).length;
        if (n > same) {
          same = n;
          mode = u.size;
        }
      }
      const split = run.filter((u) => u.split).length;
      const entropic = run.filter((u) => u.entropy != null && u.entropy >= o.highEntropyBitsPerByte).length;
      const uniform = same >= o.minRunLength;
      const named = split >= o.minRunLength;
      if (!(uniform || named) || !(named || entropic >= o.minRunLength)) return [];
      const out: Alert[] = [];
      const windowBytes = run.reduce((a, u) => a + u.size, 0);
      const bytes = r.bytes;
      const runKey = `${host}\0${r.firstId}`;
      const signs = [uniform ? `${same} of near-identical size ${fmt(mode)}B` : null, named ? `${split} named like split-archive parts` : null, entropic ? `${entropic} high-entropy` : null]
        .filter(Boolean)
        .join(', ');
      if (!r.alerted) {
        r.alerted = true;
        const severity: Severity = uniform && named && entropic >= o.minRunLength ? 'high' : 'medium';
        out.push(
          makeAlert({
            detector: 'split-exfil',
            severity,
            principal: p,
            models: [],
            atMs: ms,
            windowStartMs: r.startMs,
            windowEndMs: ms,
            key: runKey,
            techniques: [...TECHNIQUES],
            observed: run.length,
            baseline: 0,
            threshold: o.minRunLength,
            evidence: run.map((u) => u.id),
            explanation: `${p} uploaded ${run.length} files (${signs}) totalling ${fmt(windowBytes)}B to the unsanctioned destination ${host}.`,
          }),
        );
      }
      // Match against the largest recent pull: the run could hold that artifact (compressed archives of
      // weights shrink little, so half its size is a conservative floor).
      const pulls = s.pulls.filter((x) => ms - x.ms <= lookMs);
      let largest: { bytes: number; model: string } | undefined;
      for (const x of pulls) if (!largest || x.bytes > largest.bytes) largest = x;
      const matchKey = `${runKey}\0match`;
      if (largest && bytes >= o.artifactMatchFraction * largest.bytes && !r.matched) {
        r.matched = true;
        const fits = pulls.filter((x) => o.artifactMatchFraction * x.bytes <= bytes);
        out.push(
          makeAlert({
            detector: 'split-exfil',
            severity: 'critical',
            principal: p,
            models: fits.map((x) => x.model),
            atMs: ms,
            windowStartMs: r.startMs,
            windowEndMs: ms,
            key: matchKey,
            techniques: [...TECHNIQUES],
            observed: bytes,
            baseline: largest.bytes,
            threshold: o.artifactMatchFraction * largest.bytes,
            evidence: run.map((u) => u.id).slice(-MAX_EVIDENCE),
            explanation: `${p} has sent ${fmt(bytes)}B of split or encrypted uploads to ${host}, enough to hold the ${fmt(largest.bytes)}B of model ${largest.model} they pulled in the last ${o.artifactLookbackDays} days.`,
          }),
        );
      }
      return out;
    }

    function onPull(e: MwEvent, ms: number): void {
      let model: string | null = null;
      let bytes = 0;
      if (e.kind === 'object' && e.operation === 'get') {
        model = resolve(e.bucket, e.key);
        bytes = e.bytes ?? 0;
      } else if (e.kind === 'registry' && e.action === 'download_artifact') {
        model = e.model ?? (e.artifactUri ? (/^[a-z-]+:\/+([^/]+)/.exec(e.artifactUri)?.[1] ?? null) : null);
        bytes = e.bytes ?? 0;
      }
      if (!model || bytes <= 0) return;
      const s = state(e.principal.canonical);
      const last = s.pulls[s.pulls.length - 1];
      // Consecutive reads of one model within an hour are one pull: bounds the list by pulls, not objects.
      if (last && last.model === model && ms - last.ms < 3_600_000) {
        last.bytes += bytes;
        last.ms = ms;
        return;
      }
      s.pulls.push({ ms, bytes, model });
      if (s.pulls.length > o.maxPullsPerPrincipal) s.pulls.shift();
    }

    return {
      onEvent(e, ms) {
        if (e.kind === 'upload') return onUpload(e, ms);
        onPull(e, ms);
        return [];
      },
      onWatermark() {
        return [];
      },
      snapshot(): Snapshot {
        return {
          states: [...states].map(([p, s]) => [
            p,
            { runs: [...s.runs].map(([h, r]) => [h, { ...r, uploads: r.uploads.map((u) => ({ ...u })) }]), pulls: s.pulls.map((x) => ({ ...x })) },
          ]),
        };
      },
      restore(state) {
        for (const [p, s] of (state as Snapshot).states) {
          states.set(p, { runs: new Map(s.runs.map(([h, r]) => [h, { ...r, uploads: r.uploads.map((u) => ({ ...u })) }])), pulls: s.pulls.map((x) => ({ ...x })) });
        }
      },
      stateSize() {
        let max = 0;
        for (const s of states.values()) {
          const n = total(s) + s.pulls.length + s.runs.size;
          if (n > max) max = n;
        }
        return { principals: states.size, maxEntriesPerPrincipal: max };
      },
    };
  },
};
