import type { ScanContext } from '../context.js';
import { endpointModel, type Limiter } from '../endpoints.js';
import { EXF_FAMILY, hcl, yaml, type RawFinding, type Rule } from './rule.js';

function describe(ctx: ScanContext, l: Limiter): string {
  const eps = endpointModel(ctx).endpoints.filter((e) => e.limiters.includes(l)).map((e) => e.label);
  return eps.length ? ` on ${eps.join(', ')}` : '';
}

export const rateLimitKeyedByIp: Rule = {
  id: 'MW-EXF-002',
  name: 'rate-limit-keyed-by-ip',
  family: EXF_FAMILY,
  title: 'Rate limit keyed only by IP, not by principal',
  severity: 'medium',
  rationale:
    'Extraction campaigns rotate source addresses (cloud functions, residential proxies, NAT pools) for pennies, so a per-IP limit multiplies by the number of addresses the attacker rents; ' +
    'a limit shared by all callers lets one caller starve everyone. Counting per API key or authenticated principal ties the budget to an identity that must be issued to the attacker.',
  remediation:
    'Count by the caller identity: Cloudflare ruleset `characteristics` with the API-key header or a JWT claim, WAFv2 `aggregate_key_type = "CUSTOM_KEYS"` with a header key, ' +
    'API Gateway usage plans with required API keys, ingress-nginx `global-rate-limit-key: $http_x_api_key`, or the MirrorWatch gateway (per principal by default).',
  attack: ['T1119', 'T1090'],
  fixes: {
    cloudflare: hcl(`
      resource "cloudflare_ruleset" "inference_rate_limit" {
        zone_id = cloudflare_zone.main.id
        name    = "inference rate limit per API key"
        kind    = "zone"
        phase   = "http_ratelimit"
        rules {
          action     = "block"
          expression = "(http.request.uri.path contains \\"/predict\\")"
          ratelimit {
            characteristics     = ["cf.colo.id", "http.request.headers[\\"x-api-key\\"]"]
            period              = 3600
            requests_per_period = 1000
            mitigation_timeout  = 3600
          }
        }
      }
    `),
    aws: hcl(`
      rate_based_statement {
        limit                 = 100 # per 5-minute window, per API key
        aggregate_key_type    = "CUSTOM_KEYS"
        evaluation_window_sec = 300
        custom_key {
          header {
            name = "x-api-key"
            text_transformation {
              priority = 0
              type     = "NONE"
            }
          }
        }
      }
    `),
    kubernetes: yaml(`
      metadata:
        annotations:
          nginx.ingress.kubernetes.io/global-rate-limit: "1000"
          nginx.ingress.kubernetes.io/global-rate-limit-window: "1h"
          nginx.ingress.kubernetes.io/global-rate-limit-key: "$http_x_api_key"
    `),
    gateway: yaml(`
      rate_limits:
        - key: principal
          requests: 1000
          per: hour
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const l of endpointModel(ctx).relevantLimiters) {
      if (!l.enforcing || (l.keyedBy !== 'ip' && l.keyedBy !== 'global')) continue;
      out.push({
        resource: l.resource,
        line: ctx.lineOf(l.resource, l.path),
        message: `${l.mechanism}${describe(ctx, l)} ${l.keyedBy === 'ip' ? 'is keyed by IP, not by principal' : 'is shared by all callers, not per principal'}: ${l.keyText}`,
      });
    }
    return out;
  },
};
