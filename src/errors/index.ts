/**
 * The error catalogue: every user-facing failure has a stable code, an HTTP
 * status (for the servers) and a row in docs/errors.md. A test keeps the code
 * and the docs in sync (errors.test.ts). Areas keep their own lists so parallel
 * work does not collide; this module merges them.
 */
import { INGEST_ERRORS } from './ingest.js';
import { SCAN_ERRORS } from './scan.js';
import { GATEWAY_ERRORS } from './gateway.js';
import { SIGMA_ERRORS } from './sigma.js';
import { WEB_ERRORS } from './web.js';
import { RESPOND_ERRORS } from './respond.js';
import { EVALUATE_ERRORS } from './evaluate.js';
import { LAB_REPORT_ERRORS } from './lab-report.js';

export interface ErrorDef {
  status: number;
  title: string;
}

export const ERRORS = {
  MW_ERR_USAGE: { status: 400, title: 'The command line or request is malformed' },
  MW_ERR_INTERNAL: { status: 500, title: 'An unexpected internal error (a bug: please report it)' },
  ...INGEST_ERRORS,
  ...SCAN_ERRORS,
  ...GATEWAY_ERRORS,
  ...SIGMA_ERRORS,
  ...WEB_ERRORS,
  ...RESPOND_ERRORS,
  ...EVALUATE_ERRORS,
  ...LAB_REPORT_ERRORS,
} as const satisfies Record<string, ErrorDef>;

export type ErrorCode = keyof typeof ERRORS;

export class MwError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: Record<string, unknown> | undefined;
  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>) {
    super(message);
    this.name = 'MwError';
    this.code = code;
    this.status = ERRORS[code].status;
    this.details = details;
  }
  toJSON(): Record<string, unknown> {
    return { code: this.code, message: this.message, ...(this.details ? { details: this.details } : {}) };
  }
}

export function isMwError(e: unknown): e is MwError {
  return e instanceof MwError;
}
