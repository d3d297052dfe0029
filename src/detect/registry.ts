/** Every detector the engine runs by default. The conformance test runs against each of these. */
import { coverage } from './coverage/index.js';
import { departingUser } from './departing-user/index.js';
import { focusDrift } from './focus-drift/index.js';
import { prada } from './prada/index.js';
import { queryVolume } from './query-volume/index.js';
import { recon } from './recon/index.js';
import { registryTheft } from './registry-theft/index.js';
import { splitExfil } from './split-exfil/index.js';
import type { AnyDetector } from './types.js';

export const DETECTORS: readonly AnyDetector[] = [queryVolume, registryTheft, departingUser, splitExfil, recon, coverage, focusDrift];

/**
 * Detectors that meet the contract but are not run by default yet: `prada`
 * needs calibration on molecular traffic (docs/detect.md) and RDKit
 * fingerprints in the context (`contextFromStore(store, { chem: true })`).
 */
export const EXPERIMENTAL_DETECTORS: readonly AnyDetector[] = [prada];

export function detectorById(id: string): AnyDetector | undefined {
  return [...DETECTORS, ...EXPERIMENTAL_DETECTORS].find((d) => d.id === id);
}
