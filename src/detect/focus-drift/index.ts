/**
 * Focus drift: a day's queries leaving the principal's historical focus area.
 *
 * A researcher's queries stay near the chemical series of their programme
 * (the simulator's researchers, like real medicinal chemists, query a few
 * series again and again); extraction traffic and reconnaissance of the
 * model's behaviour elsewhere leave it. The focus area is a bottom-k sample
 * (by hash, so uniform over every distinct input the principal queried on
 * earlier days and independent of arrival order) of fingerprints: Morgan r=2
 * for molecules, a hashed binned fingerprint for numeric feature vectors.
 * When a day closes, the share of its sampled distinct inputs with no focus
 * input within Tanimoto distance `focusRadius` (similarity 0.4 at the default
 * 0.6, below which ECFP4 neighbours rarely share activity: Maggiora et al.,
 * J. Med. Chem. 2014) is compared with the principal's earlier days (median
 * and scaled MAD) and a floor. The day then joins the focus sample.
 */
import { z } from 'zod';
import type { Alert, Severity } from '../alert.js';
import { MAX_EVIDENCE } from '../alert.js';
import type { BottomKSnapshot, SampledDay } from '../molecules.js';
import { BottomK, MAX_DAY_MODELS, announcedCampaignOptions, announcedCampaigns, dailySampledDetector, dayAlert, offFocusShare } from '../molecules.js';
import { Ring, fmt, median, scaledMad } from '../stats.js';
import type { Detector, DetectionContext, DetectorInstance } from '../types.js';

export const focusDriftOptions = z
  .object({
    /** Fingerprints kept as the principal's focus area (bottom-k over all earlier days). */
    focusSize: z.number().int().min(16).max(4096).default(256),
    /** Distinct inputs sampled per day and compared with the focus area. */
    sampleSize: z.number().int().min(16).max(1024).default(128),
    /** Tanimoto distance beyond which an input is outside the focus area. */
    focusRadius: z.number().min(0.05).max(1).default(0.6),
    /** Focus inputs needed before days are judged (a principal without history has no focus to leave). */
    minFocusInputs: z.number().int().min(1).default(10),
    /**
     * Focus inputs below which alerts stay low: a thin focus (a principal's
     * first days) says little about their habit, but an extraction that starts
     * almost with the principal's history (low-and-slow) must still be seen.
     */
    confidentFocusInputs: z.number().int().min(1).default(50),
    /** Days with fewer sampled distinct inputs are not judged. */
    minDailyInputs: z.number().int().min(2).default(20),
    /** Judged days of off-focus shares kept per principal. */
    lookbackDays: z.number().int().min(3).max(365).default(28),
    /** Judged days needed before the own spread is used; before that only the floor applies. */
    minBaselineDays: z.number().int().min(1).default(5),
    /** Threshold = median + madMultiplier x scaled MAD of earlier shares (Iglewicz & Hoaglin 1993). */
    madMultiplier: z.number().positive().default(3.5),
    /** The spread is at least this share, so a very regular principal is not flagged for small changes. */
    minSpreadShare: z.number().min(0).max(1).default(0.05),
    /** Off-focus share below which a day never alerts (research days on the simulator: 90th percentile 0.22, maximum 0.55). */
    minOffFocusShare: z.number().min(0).max(1).default(0.6),
    /** Off-focus share from which the alert is high rather than medium. */
    highOffFocusShare: z.number().min(0).max(1).default(0.8),
    /** Distinct inputs a day needs for a high alert. */
    highMinInputs: z.number().int().positive().default(100),
    ...announcedCampaignOptions,
  })
  .strict();
export type FocusDriftOptions = z.infer<typeof focusDriftOptions>;



interface PrincipalState {
  focus: BottomK;
  shares: Ring;
  day: SampledDay | undefined;
}

const TECHNIQUES = ['AML.T0024.002', 'AML.T0005.001', 'AML.T0040', 'T1119'] as const;

export const focusDrift: Detector<FocusDriftOptions> = {
  id: 'focus-drift',
  title: 'Queries leaving the principal\'s historical focus area',
  accepts: ['inference'],
  needs: ['fingerprints'],
  options: focusDriftOptions,
  techniques: [...TECHNIQUES],
  stateBounds: (o) => ({
    maxEntriesPerPrincipal: o.focusSize + o.sampleSize + o.lookbackDays + MAX_EVIDENCE + MAX_DAY_MODELS + 1,
    maxBytesPerPrincipal: (o.focusSize + o.sampleSize) * 450 + o.lookbackDays * 16 + MAX_EVIDENCE * 48 + MAX_DAY_MODELS * 64,
  }),
  create(o, ctx: DetectionContext): DetectorInstance {
    const campaigns = announcedCampaigns(ctx, o);

    function close(principal: string, s: PrincipalState, day: SampledDay): Alert[] {
      const xs = day.sample.fingerprints();
      const ref = s.focus.fingerprints();
      const focusSize = s.focus.distinct();
      s.focus.merge(day.sample);
      if (ref.length < o.minFocusInputs || xs.length < o.minDailyInputs) return [];
      const share = offFocusShare(xs, ref, o.focusRadius);
      const own = s.shares.length >= o.minBaselineDays;
      const base = own ? median(s.shares.values()) : 0;
      const spread = own ? Math.max(o.minSpreadShare, scaledMad(s.shares.values(), base)) : 0;
      const threshold = Math.max(o.minOffFocusShare, base + o.madMultiplier * spread);
      s.shares.push(share);
      if (share <= threshold) return [];

      const distinct = day.sample.distinct();
      let severity: Severity = share >= o.highOffFocusShare && distinct >= o.highMinInputs ? 'high' : 'medium';
      if (ref.length < o.confidentFocusInputs) severity = 'low';
      const announced = campaigns.check(principal, day.startMs);
      if (announced === 'skip') return [];
      if (announced) severity = 'low';
      return [
        dayAlert({
          detector: 'focus-drift',
          severity,
          principal,
          techniques: [...TECHNIQUES],
          observed: share,
          baseline: base,
          threshold,
          explanation:
            `${Math.round(share * 100)}% of ${principal}'s ${fmt(distinct)} distinct inputs in one day lie outside their focus area ` +
            `(no earlier query within Tanimoto similarity ${(1 - o.focusRadius).toFixed(2)}, focus sampled from ${fmt(focusSize)} earlier inputs) ` +
            `against ${own ? `their median share of ${Math.round(base * 100)}%` : 'no baseline yet'} (threshold ${Math.round(threshold * 100)}%)${announced ?? ''}.`,
        }, day),
      ];
    }

    return dailySampledDetector({
      ctx,
      sampleSize: o.sampleSize,
      init: (): PrincipalState => ({ focus: new BottomK(o.focusSize), shares: new Ring(o.lookbackDays), day: undefined }),
      close,
      entries: (s) => s.focus.size + s.shares.length,
      save: (s) => ({ focus: s.focus.snapshot(), shares: [...s.shares.values()] }),
      load: (saved: { focus: BottomKSnapshot; shares: number[] }) => ({ focus: BottomK.of(o.focusSize, saved.focus), shares: Ring.of(o.lookbackDays, saved.shares) }),
      saveShared: () => campaigns.snapshot(),
      loadShared: (saved: Array<[string, number]>) => campaigns.restore(saved),
    });
  },
};
