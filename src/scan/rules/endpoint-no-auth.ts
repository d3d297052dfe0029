import { endpointModel } from '../endpoints.js';
import { EXF_FAMILY, hcl, yaml, type RawFinding, type Rule } from './rule.js';

export const endpointNoAuth: Rule = {
  id: 'MW-EXF-004',
  name: 'endpoint-no-auth',
  family: EXF_FAMILY,
  title: 'Inference endpoint without authentication',
  severity: 'critical',
  rationale:
    'An unauthenticated endpoint cannot be rate limited per principal, cannot be attributed, and cannot be cut off for one caller: anyone on the network can query the model ' +
    'as often as limits allow and nothing ties the queries to an identity.',
  remediation:
    'Require authentication in front of the model: ingress-nginx `auth-url` (OIDC proxy) or `auth-type`/`auth-secret`, mutual TLS, KServe `serving.kserve.io/enable-auth` ' +
    'or Istio RequestAuthentication with an AuthorizationPolicy, API Gateway authorizers or required API keys, or a MirrorWatch gateway route with `auth: required`.',
  attack: ['T1190'],
  fixes: {
    kubernetes: yaml(`
      metadata:
        annotations:
          nginx.ingress.kubernetes.io/auth-url: "https://oauth2-proxy.auth.svc.cluster.local/oauth2/auth"
          nginx.ingress.kubernetes.io/auth-response-headers: "X-Auth-Request-User"
    `),
    gateway: yaml(`
      routes:
        - path: /v1/models/fraud:predict
          upstream: http://fraud-predictor.ml-serving.svc.cluster.local
          auth: required
    `),
    aws: hcl(`
      resource "aws_api_gateway_method" "predict" {
        rest_api_id      = aws_api_gateway_rest_api.inference.id
        resource_id      = aws_api_gateway_resource.predict.id
        http_method      = "POST"
        authorization    = "COGNITO_USER_POOLS"
        authorizer_id    = aws_api_gateway_authorizer.users.id
        api_key_required = true
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const e of endpointModel(ctx).endpoints) {
      if (!e.auth || e.auth.authenticated) continue;
      out.push({
        resource: e.resource,
        line: e.auth.resource === e.resource ? (e.resource.source === 'gateway' ? e.auth.line : e.line) : e.line,
        message: `${e.label} has no authentication: ${e.auth.how}`,
        ...(e.auth.resource !== e.resource ? { related: [e.auth.resource] } : {}),
        ...(e.workload ? { why: `serves models: ${e.workload.why}` } : {}),
      });
    }
    return out;
  },
};
