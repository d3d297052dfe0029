/**
 * The lab's attacker and its benign users, written against the Oracle
 * interface (src/lab/types.ts): query selection, surrogate extraction (one
 * key or a Sybil split), membership inference, benign researcher traffic,
 * and an in-process oracle that simulates the gateway's output hardening.
 */
export { createQuerySelector, type QuerySelector, type SelectorOptions, type StrategyName, type UncertaintyScorer } from './select.js';
export {
  runExtraction,
  runSybilExtraction,
  classifierFidelity,
  type ExtractionOptions,
  type ExtractionProgress,
  type ExtractionResult,
  type FidelityPoint,
  type RegressionExtractionOptions,
  type ClassificationExtractionOptions,
  type SybilExtractionOptions,
} from './extraction.js';
export {
  runMembershipInference,
  inferHardening,
  type MembershipAttackName,
  type MembershipOptions,
  type MembershipProgress,
  type MembershipResult,
  type MembershipScore,
} from './membership.js';
export { runBenignTraffic, type BenignOptions, type BenignProgress, type BenignResult } from './benign.js';
export {
  createInProcessOracle,
  confidenceFromStd,
  INTERVAL_Z,
  type InProcessOracle,
  type InProcessOracleOptions,
  type OutputHardening,
} from './in-process-oracle.js';
