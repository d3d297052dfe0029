import { endpointModel } from '../endpoints.js';
import { isObject } from '../hcl/value.js';
import { annotations } from '../k8s.js';
import { EXF_FAMILY, yaml, type RawFinding, type Rule } from './rule.js';

export const batchCap: Rule = {
  id: 'MW-EXF-006',
  name: 'batch-cap',
  family: EXF_FAMILY,
  title: 'Batch size cap missing or above the ceiling',
  severity: 'medium',
  rationale:
    'Request-count limits assume one input per request. Without a cap on items per request one "request" can carry thousands of inputs, multiplying the extraction budget ' +
    'by the batch size and defeating the rate limit.',
  remediation:
    'Set `batch_cap` in the MirrorWatch gateway (globally or per route) at or below `scan.batch_cap_ceiling` (default 64), and do not disable request-size limits (`proxy-body-size: "0"`) on inference Ingresses.',
  attack: ['T1119'],
  fixes: {
    gateway: yaml(`
      batch_cap: 32
      routes:
        - path: /v1/models/fraud:predict
          upstream: http://fraud-predictor.ml-serving.svc.cluster.local
          batch_cap: 16
    `),
    kubernetes: yaml(`
      metadata:
        annotations:
          nginx.ingress.kubernetes.io/proxy-body-size: "1m"
    `),
  },
  check(ctx) {
    const ceiling = ctx.settings.config.section.batch_cap_ceiling;
    const model = endpointModel(ctx);
    const out: RawFinding[] = [];
    for (const g of ctx.ofType('MirrorWatchGateway')) {
      const globalCap = typeof g.attrs.batch_cap === 'number' ? g.attrs.batch_cap : undefined;
      const routes = model.routes.filter((r) => r.gateway === g);
      if (globalCap !== undefined && globalCap > ceiling) out.push({ resource: g, line: ctx.lineOf(g, 'batch_cap'), message: `gateway batch_cap ${globalCap} is above the ceiling of ${ceiling} items per request` });
      if (routes.length === 0 && globalCap === undefined) out.push({ resource: g, message: `gateway has no batch_cap: a single request may carry any number of inputs` });
      for (const rt of routes) {
        const own = rt.spec.batch_cap;
        if (typeof own === 'number') {
          if (own > ceiling) out.push({ resource: g, line: ctx.lineOf(g, `routes.${rt.index}.batch_cap`), message: `route ${rt.path} batch_cap ${own} is above the ceiling of ${ceiling} items per request` });
        } else if (globalCap === undefined) {
          out.push({ resource: g, line: rt.line, message: `route ${rt.path} has no batch_cap and the gateway sets none: a single request may carry any number of inputs` });
        }
      }
    }
    for (const e of model.endpoints) {
      if (e.kind !== 'ingress') continue;
      const ing = model.objs.find((o) => o.resource === e.resource);
      if (!ing || !isObject(ing.obj.metadata)) continue;
      const v = annotations(ing)['nginx.ingress.kubernetes.io/proxy-body-size'];
      if (v !== undefined && /^0+[a-z]?$/i.test(v.trim())) {
        out.push({ resource: e.resource, line: ctx.lineOf(e.resource, `${ing.pathPrefix}metadata.annotations.nginx.ingress.kubernetes.io/proxy-body-size`), message: `${e.label} sets proxy-body-size "${v}" (no request size limit), so batches are unbounded` });
      }
    }
    return out;
  },
};
