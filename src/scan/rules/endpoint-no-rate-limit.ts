import { endpointModel } from '../endpoints.js';
import { EXF_FAMILY, hcl, yaml, type RawFinding, type Rule } from './rule.js';

export const endpointNoRateLimit: Rule = {
  id: 'MW-EXF-001',
  name: 'endpoint-no-rate-limit',
  family: EXF_FAMILY,
  title: 'Inference endpoint with no rate limit',
  severity: 'high',
  rationale:
    'Model extraction needs many queries: tens of thousands to millions of input/output pairs to train a surrogate. An endpoint with no rate limit lets one caller ' +
    'collect them as fast as the servers answer; a limit turns a day-long extraction into months and makes it visible.',
  remediation:
    'Put a rate limit in front of every inference endpoint: a Cloudflare rate limiting rule (ruleset phase http_ratelimit), an AWS WAFv2 rate-based rule or API Gateway usage plan, ' +
    'ingress-nginx `global-rate-limit` keyed by API key, or a `rate_limits` entry in the MirrorWatch gateway (which counts per principal).',
  attack: ['T1119'],
  fixes: {
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
    cloudflare: hcl(`
      resource "cloudflare_ruleset" "inference_rate_limit" {
        zone_id = cloudflare_zone.main.id
        name    = "inference rate limit"
        kind    = "zone"
        phase   = "http_ratelimit"
        rules {
          action      = "block"
          expression  = "(http.request.uri.path contains \\"/predict\\")"
          description = "1,000 requests per hour per API key"
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
      resource "aws_api_gateway_usage_plan" "inference" {
        name = "inference"
        api_stages {
          api_id = aws_api_gateway_rest_api.inference.id
          stage  = aws_api_gateway_stage.prod.stage_name
        }
        quota_settings {
          limit  = 24000
          period = "DAY"
        }
        throttle_settings {
          rate_limit  = 0.28 # ~1,000 requests per hour per API key
          burst_limit = 5
        }
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const e of endpointModel(ctx).endpoints) {
      const enforcing = e.limiters.filter((l) => l.enforcing);
      if (enforcing.length) continue;
      const counting = e.limiters.filter((l) => !l.enforcing);
      out.push({
        resource: e.resource,
        line: e.line,
        message: `${e.label} has no rate limit${counting.length ? ` (${counting.map((l) => `${l.mechanism} only counts`).join(', ')})` : ''}`,
        ...(e.workload ? { why: `serves models: ${e.workload.why}` } : {}),
      });
    }
    return out;
  },
};
