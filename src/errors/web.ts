import type { ErrorDef } from './index.js';

// Owned by the dashboard and its API (src/web). Add its codes here.
export const WEB_ERRORS = {
  MW_ERR_WEB_UNAUTHENTICATED: { status: 401, title: 'The request carries no valid session or API token' },
  MW_ERR_WEB_LOGIN_FAILED: { status: 401, title: 'The user name or password is wrong' },
  MW_ERR_WEB_FORBIDDEN: { status: 403, title: 'The role of the user or token does not allow this' },
  MW_ERR_WEB_CSRF: { status: 403, title: 'A state-changing request lacks a valid CSRF token' },
  MW_ERR_WEB_NOT_FOUND: { status: 404, title: 'No such page, route or object' },
  MW_ERR_WEB_BAD_REQUEST: { status: 400, title: 'The request parameters or body are invalid' },
  MW_ERR_WEB_CONFLICT: { status: 409, title: 'The object already exists' },
  MW_ERR_WEB_RATE_LIMITED: { status: 429, title: 'Too many login attempts; wait and try again' },
} as const satisfies Record<string, ErrorDef>;
