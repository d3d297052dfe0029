import type { ErrorDef } from './index.js';

// Owned by the lab's report (src/lab/report). Add its codes here.
export const LAB_REPORT_ERRORS = {
  MW_ERR_LAB_RESULT: { status: 400, title: 'A lab result does not match the LabResult schema' },
} as const satisfies Record<string, ErrorDef>;
