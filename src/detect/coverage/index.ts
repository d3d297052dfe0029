/**
 * Query-space coverage: how much of the input space a principal's queries
 * cover in one UTC day, against their own history and their team's.
 *
 * Model extraction needs queries spread over the input space (Tramèr et al.,
 * "Stealing Machine Learning Models via Prediction APIs", USENIX Security
 * 2016; Papernot et al. 2017 for synthetic queries): tens of thousands of
 * diverse public-like molecules, one per series, and combinatorial
 * enumerations. Research traffic works on a few chemical series. Per day,
 * a bottom-k sample of the distinct inputs (uniform, order-independent,
 * fingerprinted only when sampled: Morgan r=2 for molecules, a hashed binned
 * fingerprint for numeric feature vectors) gives
 * - the share of the sample that starts a new leader cluster at Tanimoto
 *   distance `clusterRadius` (a cheap proxy for the Bemis-Murcko scaffold
 *   count), times the distinct inputs (KMV estimate): the **series covered**
 *   that day, the number compared with the baselines;
 * - the mean pairwise Tanimoto distance of the sample, which must also be high:
 *   a big focused batch job covers many molecules but few series.
 * The series count is compared with the median and scaled MAD of the
 * principal's earlier active days (the team's recent days for a principal
 * with too little history), and with the team's upper quantile for severity.
 * Principals whose directory projects announce a broad campaign (a virtual
 * screen, an approved load test) get low alerts at most once a week, saying so.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../alert.js';
import { MAX_EVIDENCE, makeAlert } from '../alert.js';
import type { Fp, SampledDay } from '../molecules.js';
import { MAX_DAY_MODELS, NO_ALERTS, announcedCampaignOptions, announcedCampaigns, dailySampledDetector, dayAlert, leaderClusters, meanPairwiseDistance } from '../molecules.js';
import { Ring, fmt, ownTeamOrFloor, quantile } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const coverageOptions = z
  .object({
    /** Distinct inputs sampled per principal and day (bottom-k by hash); pairwise work is quadratic in it. */
    sampleSize: z.number().int().min(16).max(1024).default(128),
    /** Tanimoto distance within which a sampled input joins an earlier one's cluster (0.6: Butina's series cut). */
    clusterRadius: z.number().min(0.05).max(1).default(0.6),
    /** Active days of history kept per principal. */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Own active days needed before the own baseline is used; fewer means "new principal". */
    minBaselineDays: z.number().int().min(1).default(5),
    /** Threshold = median + madMultiplier x scaled MAD (Iglewicz & Hoaglin 1993). */
    madMultiplier: z.number().positive().default(3.5),
    /** The spread is at least this fraction of the median, so a very regular user is not flagged for small changes. */
    minSpreadFraction: z.number().min(0).default(0.5),
    /** Days with fewer distinct fingerprinted inputs are not judged (a small sample's diversity is noise). */
    minDailyInputs: z.number().int().min(2).default(30),
    /** Days covering fewer series never alert. */
    minDailySeries: z.number().nonnegative().default(40),
    /** Mean pairwise Tanimoto distance of the day's sample an alert needs (research days: median 0.79, 90th percentile 0.84 on the simulator). */
    minMeanDistance: z.number().min(0).max(1).default(0.85),
    /** Threshold for a new principal without a team baseline, series per day. */
    newPrincipalDailySeries: z.number().positive().default(150),
    /** Team days kept per team. */
    teamHistoryDays: z.number().int().positive().default(256),
    /**
     * Series a day must cover for a medium or high alert: research days that
     * broaden (a new programme, a literature set) reached 60-150 series on the
     * simulator, extraction days 1,000-3,500; below this an alert stays low.
     */
    mediumMinSeries: z.number().nonnegative().default(250),
    /** Quantile of the team's recent days a medium alert must exceed. */
    teamQuantile: z.number().min(0.5).max(1).default(0.95),
    /** Observed / max(threshold, team quantile) ratio from which a medium alert is high. */
    highRatio: z.number().min(1).default(3),
    /**
     * Judge the open day again every this many new distinct inputs and alert
     * at once when it is already a medium or high day (0: only when the day
     * closes). The series count only grows within a day, so a day that is
     * medium at noon is at least as far over the threshold at midnight; an
     * extraction running at thousands of queries an hour is then stopped
     * within its first few hundred queries, not after its day. The day's
     * closing judgement still runs; it alerts again only with a higher severity.
     */
    earlyCheckEvery: z.number().int().nonnegative().default(100),
    ...announcedCampaignOptions,
  })
  .strict();
export type CoverageOptions = z.infer<typeof coverageOptions>;


interface PrincipalState {
  history: Ring;
  day: SampledDay | undefined;
  /** The open day's early judgement: distinct inputs at the last check, severity alerted (if any). */
  early: { dayMs: number; checkedAt: number; severity: Severity | null };
  /** The open day's sample measured at one version (not saved: recomputed from the sample when needed). */
  measured?: { sample: SampledDay['sample']; version: number; fps: Fp[]; leaders: number; mpd: number };
}

const SEVERITY_RANK: Record<Severity, number> = { low: 0, medium: 1, high: 2, critical: 3 };

const TECHNIQUES = ['AML.T0024.002', 'AML.T0005.001', 'AML.T0040', 'T1119'] as const;

export const coverage: Detector<CoverageOptions> = {
  id: 'coverage',
  title: 'Query-space coverage above the principal\'s and team\'s habit',
  accepts: ['inference'],
  needs: ['fingerprints'],
  options: coverageOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: o.lookbackDays + o.sampleSize + MAX_EVIDENCE + MAX_DAY_MODELS + 1,
    // A sampled fingerprint is 256 bytes of words plus its key (SMILES) and bookkeeping.
    maxBytesPerPrincipal: o.lookbackDays * 16 + o.sampleSize * 450 + MAX_EVIDENCE * 48 + MAX_DAY_MODELS * 64,
  }),
  create(o, ctx: DetectionContext): DetectorInstance {
    const teams = new Map<string, Ring>();
    const campaigns = announcedCampaigns(ctx, o);

    function close(principal: string, s: PrincipalState, day: SampledDay): Alert[] {
      const alerts = judge(principal, s, day, null);
      const early = s.early.dayMs === day.startMs ? s.early.severity : null;
      s.early = { dayMs: -1, checkedAt: 0, severity: null };
      s.measured = undefined;
      // An early alert already spoke for this day: the close repeats it only when the day ended worse.
      if (early && alerts.every((a) => SEVERITY_RANK[a.severity] <= SEVERITY_RANK[early])) return [];
      return alerts;
    }

    function peek(principal: string, s: PrincipalState, day: SampledDay, ms: number): Alert[] {
      if (o.earlyCheckEvery === 0) return [];
      if (s.early.dayMs !== day.startMs) s.early = { dayMs: day.startMs, checkedAt: 0, severity: null };
      const distinct = day.sample.distinct();
      if (s.early.severity || distinct < s.early.checkedAt + o.earlyCheckEvery) return NO_ALERTS;
      s.early.checkedAt = distinct;
      const alerts = judge(principal, s, day, ms).filter((a) => a.severity !== 'low');
      if (alerts.length > 0) s.early.severity = alerts[0]!.severity;
      return alerts;
    }

    /**
     * The sample's leader clusters and mean pairwise distance (NaN until
     * asked), kept while the sample is unchanged: early checks of a busy day
     * often find the sample as the previous check left it.
     */
    function measure(s: PrincipalState, sample: SampledDay['sample'], withMpd: boolean): { fps: Fp[]; leaders: number; mpd: number } {
      let m = s.measured;
      if (!m || m.sample !== sample || m.version !== sample.version) {
        const fps = sample.fingerprints();
        m = s.measured = { sample, version: sample.version, fps, leaders: leaderClusters(fps, o.clusterRadius), mpd: NaN };
      }
      if (withMpd && Number.isNaN(m.mpd)) m.mpd = meanPairwiseDistance(m.fps);
      return m;
    }

    /** The day's judgement; `atMs` null is the closing one (which records the day in the baselines). */
    function judge(principal: string, s: PrincipalState, day: SampledDay, atMs: number | null): Alert[] {
      const fingerprinted = day.sample.fingerprinted();
      const distinct = day.sample.distinct();
      if (fingerprinted < Math.min(o.minDailyInputs, o.sampleSize) || distinct < o.minDailyInputs) return [];

      const team = ctx.teamOf(principal);
      const teamRing = team ? teams.get(team) : undefined;
      const { base, spread, source } = ownTeamOrFloor(s.history.values(), team, teamRing?.values(), o.minBaselineDays, o.newPrincipalDailySeries / o.madMultiplier);
      const threshold = Math.max(o.minDailySeries, base + o.madMultiplier * Math.max(spread, o.minSpreadFraction * base));
      // An early check alerts only above the threshold and at medium or more (series >= mediumMinSeries), and
      // the series count never exceeds the distinct inputs (the cluster share is at most 1), so most early
      // checks are settled before any distance is computed; announced campaigns are judged at the close only.
      if (atMs !== null && (distinct <= threshold || distinct < o.mediumMinSeries || campaigns.isAnnounced(principal))) return [];
      const measured = measure(s, day.sample, false);
      const clusterShare = measured.leaders / fingerprinted;
      const series = clusterShare * distinct;
      // The mean pairwise distance matters only above the threshold.
      const mpd = series > threshold ? measure(s, day.sample, true).mpd : NaN;
      const teamUpper = teamRing && teamRing.length >= o.minBaselineDays ? quantile(teamRing.values(), o.teamQuantile) : 0;
      const over = series > threshold && mpd >= o.minMeanDistance;
      let severity: Severity = 'low';
      if (series > teamUpper && series >= o.mediumMinSeries) severity = series >= o.highRatio * Math.max(threshold, teamUpper) ? 'high' : 'medium';
      if (atMs === null) {
        // A medium or high day (now or earlier today) is kept out of the baselines: one extraction day in the
        // team's history would otherwise lift the team quantile above the next extraction, and an attacker's
        // own days would teach the detector that extraction is their habit.
        const anomalous = (over && severity !== 'low') || (s.early.dayMs === day.startMs && s.early.severity !== null);
        if (!anomalous) {
          s.history.push(series);
          if (team) {
            let r = teams.get(team);
            if (!r) teams.set(team, (r = new Ring(o.teamHistoryDays)));
            r.push(series);
          }
        }
      }
      if (!over) return [];
      // An announced campaign is checked (and its weekly note spent) only by the closing judgement.
      if (atMs !== null && campaigns.isAnnounced(principal)) return [];
      const announced = atMs === null ? campaigns.check(principal, day.startMs) : null;
      if (announced === 'skip') return [];
      if (announced) severity = 'low';
      const explain = (what: string): string =>
        `${principal}'s queries covered about ${fmt(Math.round(series))} distinct series ${what} ` +
        `(${fmt(distinct)} distinct inputs, ${Math.round(clusterShare * 100)}% starting a new cluster, mean pairwise Tanimoto distance ${mpd.toFixed(2)}) ` +
        `against ${source} of ${fmt(Math.round(base))} (threshold ${fmt(Math.round(threshold))}, team ${Math.round(o.teamQuantile * 100)}th percentile ${fmt(Math.round(teamUpper))})${announced ?? ''}.`;
      const fields = { detector: 'coverage', severity, principal, techniques: [...TECHNIQUES], observed: series, baseline: base, threshold };
      if (atMs !== null) {
        const now = `so far today (${new Date(atMs).toISOString().slice(11, 16)} UTC)`;
        return [makeAlert({ ...fields, models: [...day.models], atMs, windowStartMs: day.startMs, windowEndMs: atMs, evidence: day.evidence, explanation: explain(now) })];
      }
      return [dayAlert({ ...fields, explanation: explain('in one day') }, day)];
    }

    return dailySampledDetector({
      ctx,
      sampleSize: o.sampleSize,
      init: (): PrincipalState => ({ history: new Ring(o.lookbackDays), day: undefined, early: { dayMs: -1, checkedAt: 0, severity: null } }),
      close,
      peek,
      entries: (s) => s.history.length,
      save: (s) => ({ history: [...s.history.values()], early: s.early }),
      // Snapshots before early judgements held the history alone.
      load: (saved: number[] | { history: number[]; early: PrincipalState['early'] }) =>
        Array.isArray(saved) ? { history: Ring.of(o.lookbackDays, saved), early: { dayMs: -1, checkedAt: 0, severity: null } } : { history: Ring.of(o.lookbackDays, saved.history), early: { ...saved.early } },
      saveShared: () => ({ teams: [...teams].map(([t, r]): [string, number[]] => [t, [...r.values()]]), campaigns: campaigns.snapshot() }),
      loadShared: (saved: { teams: Array<[string, number[]]>; campaigns: Array<[string, number]> }) => {
        for (const [t, days] of saved.teams) teams.set(t, Ring.of(o.teamHistoryDays, days));
        campaigns.restore(saved.campaigns);
      },
    });
  },
};
