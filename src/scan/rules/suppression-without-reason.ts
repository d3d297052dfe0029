import { META_FAMILY, type Rule } from './rule.js';

/**
 * Reported by the scanner itself (suppress.ts) for `# mirrorwatch:ignore`
 * comments that name no rule, an unknown rule, or give no reason; its
 * check is empty because the findings come from the comment pass.
 */
export const suppressionWithoutReason: Rule = {
  id: 'MW-SUP-001',
  name: 'suppression-without-reason',
  family: META_FAMILY,
  title: 'Suppression without a reason (or naming no known rule)',
  severity: 'low',
  rationale:
    'A suppression is an accepted risk; without a reason an auditor cannot tell an informed exception from a silenced alarm, and a suppression naming an unknown rule silences nothing ' +
    'while looking as if it did. Such comments do not suppress anything.',
  remediation: 'Write the rule id (or family alias) and a reason: `# mirrorwatch:ignore MW-IMP-003 bucket holds public demo models only, approved in SEC-123`.',
  attack: [],
  fixes: {
    aws: { language: 'hcl', snippet: '# mirrorwatch:ignore MW-IMP-003 public demo models only; risk accepted in SEC-123' },
    kubernetes: { language: 'yaml', snippet: '# mirrorwatch:ignore MW-EXF-005 explainer used by the internal audit tool only; see SEC-124' },
  },
  check() {
    return [];
  },
};
