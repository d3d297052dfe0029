/** Every detector the engine runs by default. The conformance test runs against each of these. */
import { collusion } from './collusion/index.js';
import { coverage } from './coverage/index.js';
import { departingUser } from './departing-user/index.js';
import { focusDrift } from './focus-drift/index.js';
import { membership } from './membership/index.js';
import { prada } from './prada/index.js';
import { queryVolume } from './query-volume/index.js';
import { recon } from './recon/index.js';
import { registryTheft } from './registry-theft/index.js';
import { sideChannel } from './side-channel/index.js';
import { splitExfil } from './split-exfil/index.js';
import type { AnyDetector } from './types.js';

export const DETECTORS: readonly AnyDetector[] = [queryVolume, registryTheft, departingUser, splitExfil, recon, coverage, focusDrift, sideChannel, membership, collusion];

/**
 * Detectors that meet the contract but are not run by default: `prada`
 * separates the insider from benign traffic only with a margin of 0.002 in W
 * on the simulator, and misses low-and-slow extraction (calibration in docs/detect.md).
 */
export const EXPERIMENTAL_DETECTORS: readonly AnyDetector[] = [prada];

export function detectorById(id: string): AnyDetector | undefined {
  return [...DETECTORS, ...EXPERIMENTAL_DETECTORS].find((d) => d.id === id);
}
