/**
 * One MirrorWatch gateway per defence under test, in process, in front of
 * the lab's model server: the real server, key store, counters, output
 * hardening and inline detection engine, on virtual time. Alerts from the
 * inline detectors are correlated into incidents with the same correlator
 * `mirrorwatch detect` uses.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { Agent } from 'undici';
import type { Alert } from '../../detect/alert.js';
import { DETECTORS } from '../../detect/registry.js';
import type { DetectionContext } from '../../detect/types.js';
import { createCorrelator, type Incident } from '../../correlate/index.js';
import { createGateway, tokenSha256, validateConfig, type ActionLine, type AuditLine, type AuditSink, type Gateway } from '../../gateway/index.js';
import { DEGRADED_OUTPUT, type LabPolicy } from '../policies/index.js';
import type { Timeline } from './timeline.js';

/** Keeps the containment action lines; inference lines are only counted (a 50,000-query run would otherwise hold them all). */
class CountingAuditSink implements AuditSink {
  inference = 0;
  readonly actions: ActionLine[] = [];
  write(line: AuditLine | ActionLine): void {
    if ('kind' in line) this.actions.push(line);
    else this.inference++;
  }
  async close(): Promise<void> {}
}

export const LAB_ROLE = 'scientist';

/**
 * The inline detectors: every default detector that reads inference events.
 * PRADA (experimental) is left out: on the lab's researchers, chemists
 * walking analogue series, its normality test fails as often as on the
 * attackers (W 0.78-0.90 against the attackers' 0.79-0.89 at its default
 * threshold 0.9), the known weakness of PRADA against natural-distribution
 * queries (Orekondy et al. 2019). Focus drift judges a researcher only once
 * their focus holds 300 inputs: the lab's researchers are a week old, while
 * the detector's defaults assume the months of history a deployment has.
 * Side-channel's daily floor of probe molecules is 25 rather than 12 (below).
 */
export const LAB_INLINE_DETECTORS: readonly string[] = DETECTORS.filter((d) => d.accepts.includes('inference')).map((d) => d.id);
export const LAB_DETECTOR_OPTIONS = {
  'focus-drift': { minFocusInputs: 300 },
  // Chemists walking a dense neighbourhood of the full public pool send up to 19 novel single-edit analogues on
  // some days (the full run's researchers: 14-19, twelve days over the default floor of 12); the simulator's
  // researchers stay below 12. Side-channel probing by the lab's attackers is not what catches them.
  'side-channel': { minDailyProbeMolecules: 25 },
};
/** Largest batch a lab role may send (the scenario's APIs accept batches of this order). */
export const LAB_BATCH_CAP = 100;

export interface LabGatewayOptions {
  policy: LabPolicy;
  upstream: string;
  models: { regressor: string; classifier: string };
  dataDir: string;
  timeline: Timeline;
  context: DetectionContext;
  canonicalSmiles: (s: string) => string | null;
}

export interface LabGateway {
  base: string;
  agent: Agent;
  gateway: Gateway;
  /** Issues a key for a principal (one per call; Sybil principals each get their own). */
  key(principal: string): string;
  /** Inline alerts so far, in the order raised. */
  alerts(): readonly Alert[];
  /** Incidents the inline alerts have opened so far. */
  incidents(): readonly Incident[];
  /** Feeds alerts raised since the last call to the correlator; returns them. */
  poll(): Alert[];
  readonly audit: { inference: number; actions: readonly ActionLine[] };
  close(): Promise<void>;
}

export async function startLabGateway(o: LabGatewayOptions): Promise<LabGateway> {
  const config = validateConfig(
    {
      listen: { host: '127.0.0.1', port: 0 },
      admin: { host: '127.0.0.1', port: 0, token_sha256: tokenSha256(randomBytes(24).toString('hex')) },
      data_dir: join(o.dataDir, 'gateway'),
      limits: { max_body_bytes: 4 * 1024 * 1024, upstream_timeout_ms: 60_000, client_timeout_ms: 60_000 },
      models: [
        { name: o.models.regressor, upstream: o.upstream, protocol: 'kserve-v1', task: 'regression' },
        { name: o.models.classifier, upstream: o.upstream, protocol: 'kserve-v1', task: 'classification' },
      ],
      output_policies: { lab: o.policy.output, degraded: DEGRADED_OUTPUT },
      roles: { [LAB_ROLE]: { output_policy: 'lab', batch_cap: LAB_BATCH_CAP } },
      degrade_policy: 'degraded',
      rate_limits: o.policy.rate_limits ?? [],
      budgets: o.policy.budgets ?? [],
      inline_defence: { detectors: LAB_INLINE_DETECTORS, actions: o.policy.actions, detector_options: LAB_DETECTOR_OPTIONS },
    },
    `lab policy ${o.policy.name}`,
  );
  const audit = new CountingAuditSink();
  const gateway = createGateway({ config, audit, logLevel: 'silent', now: o.timeline.now, canonicalSmiles: o.canonicalSmiles, detectionContext: o.context });
  const { url } = await gateway.start();
  const agent = new Agent({ connections: 4 });
  const correlator = createCorrelator(o.context);
  let seen = 0;
  const poll = (): Alert[] => {
    const all = gateway.detection?.alerts ?? [];
    const fresh = all.slice(seen);
    seen = all.length;
    if (fresh.length > 0) correlator.add(fresh);
    return fresh;
  };
  return {
    base: url,
    agent,
    gateway,
    key: (principal) => gateway.keys.create({ principal, team: 'chemistry', role: LAB_ROLE }).secret,
    alerts: () => gateway.detection?.alerts ?? [],
    incidents: () => {
      poll();
      return correlator.incidents();
    },
    poll,
    audit,
    async close() {
      await agent.close();
      await gateway.close();
    },
  };
}
