import type { ErrorDef } from './index.js';

// Owned by incident response (src/respond). Add its codes here.
export const RESPOND_ERRORS = {
  MW_ERR_RESPOND_PLAYBOOK: { status: 400, title: 'A playbook file cannot be read or is invalid' },
  MW_ERR_RESPOND_NOT_FOUND: { status: 404, title: 'No incident (or playbook run) has that id' },
  MW_ERR_RESPOND_NO_PLAYBOOK: { status: 409, title: 'No loaded playbook applies to the incident' },
  MW_ERR_RESPOND_UNKNOWN_STEP: { status: 400, title: 'The playbook run has no containment step of that name' },
  MW_ERR_RESPOND_CONNECTOR: { status: 400, title: 'A response connector is not configured (gateway admin URL or token, webhook URL)' },
  MW_ERR_RESPOND_ACTION_FAILED: { status: 502, title: 'A containment action failed; it is recorded and can be retried' },
  MW_ERR_RESPOND_CLOSED: { status: 409, title: 'The incident is closed; reopen it to act on it' },
  MW_ERR_RESPOND_EVIDENCE_BROKEN: { status: 409, title: 'The evidence log fails verification (an entry was edited, deleted or reordered)' },
  MW_ERR_RESPOND_FORWARD: { status: 502, title: 'A forwarding sink cannot be reached; undelivered records stay in the outbox' },
  MW_ERR_RESPOND_STIX_INVALID: { status: 500, title: 'The STIX bundle of the incident fails validation against the STIX 2.1 schemas; nothing was exported' },
} as const satisfies Record<string, ErrorDef>;
