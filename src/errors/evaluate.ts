import type { ErrorDef } from './index.js';

// Owned by evaluation (src/evaluate). Add its codes here.
export const EVALUATE_ERRORS = {
  MW_ERR_TRUTH: { status: 400, title: 'A scenario truth file cannot be read or does not match the truth.json schema' },
} as const satisfies Record<string, ErrorDef>;
