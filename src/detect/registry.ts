/** Every detector the engine runs by default. The conformance test runs against each of these. */
import { collusion } from './collusion/index.js';
import { departingUser } from './departing-user/index.js';
import { membership } from './membership/index.js';
import { prada } from './prada/index.js';
import { queryVolume } from './query-volume/index.js';
import { recon } from './recon/index.js';
import { registryTheft } from './registry-theft/index.js';
import { sideChannel } from './side-channel/index.js';
import { splitExfil } from './split-exfil/index.js';
import type { AnyDetector } from './types.js';

export const DETECTORS: readonly AnyDetector[] = [queryVolume, registryTheft, departingUser, splitExfil, recon, sideChannel, membership, collusion];

/**
 * Detectors that meet the contract but are not run by default yet: `prada`
 * needs calibration on molecular traffic (docs/detect.md) and RDKit
 * fingerprints in the context (`contextFromStore(store, { chem: true })`).
 */
export const EXPERIMENTAL_DETECTORS: readonly AnyDetector[] = [prada];

export function detectorById(id: string): AnyDetector | undefined {
  return [...DETECTORS, ...EXPERIMENTAL_DETECTORS].find((d) => d.id === id);
}
