import type { ScanContext } from '../context.js';
import { endpointModel } from '../endpoints.js';
import { isObject, type Value, type ValueObject } from '../hcl/value.js';
import type { Resource } from '../types.js';
import { EXF_FAMILY, yaml, type RawFinding, type Rule } from './rule.js';

/** Outputs that leak more than the decision: they make extraction (and membership inference) far cheaper. */
export const SENSITIVE_OUTPUTS = /^(logits?|confidences?|probabilit(y|ies)|scores?|attention(_weights)?|explanations?|shap(_values)?|saliency|embeddings?|top_?k|raw(_output)?|hidden_states)$/i;
const ALL_CALLERS = /^(\*|default|anonymous|public|all|everyone|any)$/i;

export interface Exposure {
  resource: Resource;
  line: number;
  what: string;
  outputs: string[];
  audience: string;
}

const obj = (v: Value | undefined): ValueObject => (isObject(v) ? v : {});

function exposeList(v: Value | undefined): string[] {
  const e = isObject(v) ? v.expose : undefined;
  return Array.isArray(e) ? e.filter((x): x is string => typeof x === 'string') : [];
}

function roleExposures(ctx: ScanContext, g: Resource, roles: Value | undefined, top: Value | undefined, base: string, where: string): Exposure[] {
  const out: Exposure[] = [];
  const topList = Array.isArray(top) ? top.filter((x): x is string => typeof x === 'string') : [];
  const topSensitive = topList.filter((x) => SENSITIVE_OUTPUTS.test(x));
  if (topSensitive.length) out.push({ resource: g, line: ctx.lineOf(g, base ? `${base}.expose` : 'expose'), what: `${where} expose`, outputs: topSensitive, audience: 'every caller (gateway-wide expose)' });
  const entries: [string, ValueObject][] = Array.isArray(roles)
    ? roles.filter(isObject).map((r, i) => [String(r.name ?? r.role ?? i), r])
    : isObject(roles)
      ? Object.entries(roles).map(([k, r]) => [k, obj(r)])
      : [];
  if (entries.length === 0) return out;
  for (const [name, r] of entries) {
    if (!ALL_CALLERS.test(name)) continue;
    const s = exposeList(r).filter((x) => SENSITIVE_OUTPUTS.test(x));
    if (s.length) out.push({ resource: g, line: ctx.lineOf(g, `${base ? base + '.' : ''}roles.${name}`), what: `${where} role "${name}"`, outputs: s, audience: `every caller (role "${name}" applies to callers without another role)` });
  }
  const named = entries.filter(([n]) => !ALL_CALLERS.test(n));
  if (named.length > 1) {
    const common = exposeList(named[0]![1]).filter((x) => SENSITIVE_OUTPUTS.test(x) && named.every(([, r]) => exposeList(r).includes(x)));
    if (common.length) out.push({ resource: g, line: ctx.lineOf(g, `${base ? base + '.' : ''}roles`), what: `${where} roles`, outputs: common, audience: `every role (${named.map(([n]) => n).join(', ')}): no caller is restricted to the label` });
  }
  return out;
}

/** Where logits, confidences or explanations reach all callers. */
export function exposures(ctx: ScanContext): Exposure[] {
  const model = endpointModel(ctx);
  const out: Exposure[] = [];
  for (const w of model.workloads) {
    const spec = obj(w.o.obj.spec);
    if (w.kind === 'kserve' && isObject(spec.explainer)) {
      const kind = Object.keys(spec.explainer).find((k) => !['minReplicas', 'maxReplicas', 'serviceAccountName', 'containers'].includes(k)) ?? 'custom';
      out.push({ resource: w.o.resource, line: ctx.lineOf(w.o.resource, `${w.o.pathPrefix}spec.explainer`), what: `InferenceService ${w.o.name} explainer (${kind})`, outputs: ['explanations'], audience: 'every caller of the InferenceService (:explain beside :predict)' });
    }
    if (w.kind === 'seldon' && Array.isArray(spec.predictors)) {
      spec.predictors.forEach((p, i) => {
        const ex = obj(obj(p).explainer);
        if (Object.keys(ex).length) out.push({ resource: w.o.resource, line: ctx.lineOf(w.o.resource, `${w.o.pathPrefix}spec.predictors.${i}.explainer`), what: `SeldonDeployment ${w.o.name} predictor ${String(obj(p).name ?? i)} explainer (${String(ex.type ?? 'custom')})`, outputs: ['explanations'], audience: 'every caller of the deployment' });
      });
    }
  }
  for (const g of ctx.ofType('MirrorWatchGateway')) {
    out.push(...roleExposures(ctx, g, g.attrs.roles, g.attrs.expose, '', 'gateway'));
  }
  for (const rt of model.routes) {
    out.push(...roleExposures(ctx, rt.gateway, rt.spec.roles, rt.spec.expose, `routes.${rt.index}`, `route ${rt.path}`));
  }
  return out;
}

export const endpointExposesScores: Rule = {
  id: 'MW-EXF-005',
  name: 'endpoint-exposes-scores',
  family: EXF_FAMILY,
  title: 'Endpoint exposes logits, confidences or explanations to all callers',
  severity: 'high',
  rationale:
    'Full probability vectors, logits and explanations carry far more information per query than the label: extraction attacks need orders of magnitude fewer queries when they get them ' +
    '(and membership inference becomes practical). Returning only the decision to ordinary callers is the passive output obfuscation mitigation AML.M0002.',
  remediation:
    'Return only the label (or a rounded top-1 score) by default; give confidences or logits to named roles that need them, and serve explanations on a separate, authenticated and tightly limited route.',
  attack: ['T1119'],
  fixes: {
    gateway: yaml(`
      roles:
        default:
          expose: [label]
        risk-analyst:
          expose: [label, confidence]
    `),
    kubernetes: yaml(`
      # Remove spec.explainer from the public InferenceService and deploy the explainer
      # as its own InferenceService behind an authenticated, rate-limited route.
      spec:
        predictor:
          model:
            modelFormat: { name: sklearn }
            storageUri: s3://ml-models/fraud/v3
    `),
  },
  check(ctx) {
    return exposures(ctx).map(
      (e): RawFinding => ({
        resource: e.resource,
        line: e.line,
        message: `${e.what} returns ${e.outputs.join(', ')} to ${e.audience}`,
      }),
    );
  },
};
