import { endpointModel } from '../endpoints.js';
import { EXF_FAMILY, hcl, yaml, type RawFinding, type Rule } from './rule.js';

export const rateLimitAboveCeiling: Rule = {
  id: 'MW-EXF-003',
  name: 'rate-limit-above-ceiling',
  family: EXF_FAMILY,
  title: 'Rate limit more generous than the ceiling (default 1,000 requests per hour per principal)',
  severity: 'medium',
  rationale:
    'A limit that still allows hundreds of thousands of queries a day per caller does not slow extraction. The source rule ATLAS-EXF-002 sets a reference ceiling of ' +
    '1,000 requests per hour per principal; set `scan.rate_limit_ceiling_per_hour` to your own budget.',
  remediation:
    'Lower the limit to the ceiling or below (normalised per hour: requests × 3600 / window seconds), or raise the configured ceiling if the business case is documented.',
  attack: ['T1119'],
  fixes: {
    cloudflare: hcl(`
      ratelimit {
        characteristics     = ["cf.colo.id", "http.request.headers[\\"x-api-key\\"]"]
        period              = 3600
        requests_per_period = 1000
        mitigation_timeout  = 3600
      }
    `),
    aws: hcl(`
      rate_based_statement {
        limit                 = 80 # 80 per 300 s = 960 per hour
        evaluation_window_sec = 300
        aggregate_key_type    = "CUSTOM_KEYS"
      }
    `),
    kubernetes: yaml(`
      metadata:
        annotations:
          nginx.ingress.kubernetes.io/global-rate-limit: "1000"
          nginx.ingress.kubernetes.io/global-rate-limit-window: "1h"
    `),
    gateway: yaml(`
      rate_limits:
        - key: principal
          requests: 1000
          per: hour
    `),
  },
  check(ctx) {
    const ceiling = ctx.settings.config.section.rate_limit_ceiling_per_hour;
    const out: RawFinding[] = [];
    for (const l of endpointModel(ctx).relevantLimiters) {
      if (!l.enforcing || l.perHour === undefined || l.perHour <= ceiling + 1e-9) continue;
      out.push({
        resource: l.resource,
        line: ctx.lineOf(l.resource, l.path),
        message: `${l.mechanism} allows ${Math.round(l.perHour).toLocaleString('en-US')} requests per hour per ${l.keyedBy === 'principal' ? 'principal' : l.keyedBy === 'ip' ? 'IP' : 'counter'} (${l.rateText}), above the ceiling of ${ceiling.toLocaleString('en-US')}`,
      });
    }
    return out;
  },
};
