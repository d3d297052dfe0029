import type { ErrorDef } from './index.js';

// Owned by the inference gateway (src/gateway). Add its codes here.
export const GATEWAY_ERRORS = {
  MW_ERR_GW_CONFIG: { status: 400, title: 'The gateway configuration file cannot be read or is invalid' },
  MW_ERR_GW_UNAUTHENTICATED: { status: 401, title: 'The request carries no API key or an unknown one' },
  MW_ERR_GW_KEY_REVOKED: { status: 401, title: 'The API key has been revoked' },
  MW_ERR_GW_KEY_EXPIRED: { status: 401, title: 'The API key has expired' },
  MW_ERR_GW_PRINCIPAL_BLOCKED: { status: 403, title: 'The principal is frozen or blocked by policy' },
  MW_ERR_GW_STEP_UP_REQUIRED: { status: 403, title: 'The principal must re-authenticate (step-up) before further queries' },
  MW_ERR_GW_POLICY_REFUSED: { status: 403, title: 'The request uses a parameter the caller role may not use (logit_bias)' },
  MW_ERR_GW_UNKNOWN_ROUTE: { status: 404, title: 'The path is not an inference route the gateway serves' },
  MW_ERR_GW_UNKNOWN_MODEL: { status: 404, title: 'The model is not configured in the gateway' },
  MW_ERR_GW_CLIENT_TIMEOUT: { status: 408, title: 'The client sent its request too slowly' },
  MW_ERR_GW_BODY_TOO_LARGE: { status: 413, title: 'The request body exceeds the configured cap' },
  MW_ERR_GW_BATCH_TOO_LARGE: { status: 413, title: 'The batch holds more instances than the caller role allows' },
  MW_ERR_GW_BAD_JSON: { status: 400, title: 'The request body is not valid JSON' },
  MW_ERR_GW_UNSUPPORTED_MEDIA_TYPE: { status: 415, title: 'The request content type is not application/json' },
  MW_ERR_GW_RATE_LIMITED: { status: 429, title: 'A request or instance rate limit is exceeded' },
  MW_ERR_GW_BUDGET_EXHAUSTED: { status: 429, title: 'The daily or lifetime query budget is exhausted' },
  MW_ERR_GW_UPSTREAM_UNAVAILABLE: { status: 502, title: 'The model server cannot be reached or answered with an error' },
  MW_ERR_GW_UPSTREAM_SHAPE: { status: 502, title: 'The model server response has an unexpected shape and the policy blocks it' },
  MW_ERR_GW_UPSTREAM_TIMEOUT: { status: 504, title: 'The model server did not answer in time' },
  MW_ERR_GW_COUNTERS_UNAVAILABLE: { status: 503, title: 'The counter store is unavailable and the gateway fails closed' },
  MW_ERR_GW_ADMIN_UNAUTHENTICATED: { status: 401, title: 'The admin request carries no valid admin token' },
  MW_ERR_GW_ADMIN_BAD_REQUEST: { status: 400, title: 'The admin request is malformed' },
  MW_ERR_GW_KEY_NOT_FOUND: { status: 404, title: 'No API key has that id' },
  MW_ERR_GW_KEYS_FILE: { status: 500, title: 'The keys file cannot be read or written' },
} as const satisfies Record<string, ErrorDef>;
