import type { ErrorDef } from './index.js';

// Owned by the Sigma engine (src/sigma). Add its codes here.
export const SIGMA_ERRORS = {
  MW_ERR_SIGMA_YAML: { status: 400, title: 'A Sigma rule file is not valid YAML' },
  MW_ERR_SIGMA_SCHEMA: { status: 400, title: 'A Sigma rule does not conform to the Sigma JSON schema' },
  MW_ERR_SIGMA_CONDITION: { status: 400, title: 'A detection condition cannot be parsed or names an unknown search identifier' },
  MW_ERR_SIGMA_MODIFIER: { status: 400, title: 'A value modifier is unknown, misplaced or applied to the wrong kind of value' },
  MW_ERR_SIGMA_REGEX: { status: 400, title: 'A regular expression is invalid or refused as unsafe (catastrophic backtracking)' },
  MW_ERR_SIGMA_PLACEHOLDER: { status: 400, title: 'An expand placeholder has no values in the configuration' },
  MW_ERR_SIGMA_CORRELATION: { status: 400, title: 'A correlation rule is inconsistent (unknown rule reference, bad timespan, missing field)' },
  MW_ERR_SIGMA_PIPELINE: { status: 400, title: 'A Sigma processing pipeline file is invalid' },
  MW_ERR_SIGMA_PATH: { status: 400, title: 'A rule or event path does not exist or cannot be read' },
  MW_ERR_SIGMA_EVENTS: { status: 400, title: 'An events file line is not a JSON object' },
  MW_ERR_SIGMA_RULES: { status: 400, title: 'Sigma rules given to a run have problems' },
  MW_ERR_SIGMA_TESTS: { status: 400, title: 'A Sigma rule test file is invalid' },
} as const satisfies Record<string, ErrorDef>;

export type SigmaErrorCode = keyof typeof SIGMA_ERRORS;
