/**
 * A Kubernetes view over everything scanned: manifests from YAML, plus
 * Terraform `kubernetes_manifest`, `kubernetes_namespace(_v1)` and
 * `kubernetes_network_policy(_v1)` resources, normalised to manifest shape.
 * Serving workloads (KServe, Seldon, MLflow, model servers) are recognised
 * here once so the egress, endpoint and exposure rules agree on them.
 */
import type { ScanContext } from './context.js';
import { isObject, type Value, type ValueObject } from './hcl/value.js';
import type { Resource } from './types.js';

export interface K8sObject {
  resource: Resource;
  kind: string;
  apiVersion: string;
  name: string;
  namespace: string;
  obj: ValueObject;
  /** Prefix to turn a manifest path into the resource's attribute path (Terraform `manifest.`). */
  pathPrefix: string;
}

export type ServingKind = 'kserve' | 'seldon' | 'mlflow' | 'model-server';

export interface ServingWorkload {
  o: K8sObject;
  kind: ServingKind;
  /** Why it is judged to serve models. */
  why: string;
  /** Pod template labels (Deployments), for Service selection. */
  podLabels: Record<string, string>;
}

const obj = (v: Value | undefined): ValueObject => (isObject(v) ? v : {});
const strMap = (v: Value | undefined): Record<string, string> => {
  const o: Record<string, string> = {};
  for (const [k, x] of Object.entries(obj(v))) if (typeof x === 'string' || typeof x === 'number' || typeof x === 'boolean') o[k] = String(x);
  return o;
};

function fromTerraform(r: Resource): K8sObject | undefined {
  const a = r.attrs;
  if (r.type === 'kubernetes_manifest' && isObject(a.manifest)) {
    const m = a.manifest;
    const meta = obj(m.metadata);
    if (typeof m.kind !== 'string') return undefined;
    return {
      resource: r,
      kind: m.kind,
      apiVersion: String(m.apiVersion ?? ''),
      name: String(meta.name ?? r.name),
      namespace: typeof meta.namespace === 'string' ? meta.namespace : 'default',
      obj: m,
      pathPrefix: 'manifest.',
    };
  }
  const meta = (Array.isArray(a.metadata) ? a.metadata.find(isObject) : obj(a.metadata)) ?? {};
  if (r.type === 'kubernetes_namespace' || r.type === 'kubernetes_namespace_v1') {
    const name = String(meta.name ?? r.name);
    return {
      resource: r,
      kind: 'Namespace',
      apiVersion: 'v1',
      name,
      namespace: name,
      obj: { kind: 'Namespace', metadata: { name, labels: strMap(meta.labels) } },
      pathPrefix: '',
    };
  }
  if (r.type === 'kubernetes_network_policy' || r.type === 'kubernetes_network_policy_v1') {
    const spec = (Array.isArray(a.spec) ? a.spec.find(isObject) : obj(a.spec)) ?? {};
    const egress = Array.isArray(spec.egress) ? spec.egress : [];
    return {
      resource: r,
      kind: 'NetworkPolicy',
      apiVersion: 'networking.k8s.io/v1',
      name: String(meta.name ?? r.name),
      namespace: typeof meta.namespace === 'string' ? meta.namespace : 'default',
      obj: {
        kind: 'NetworkPolicy',
        spec: {
          policyTypes: Array.isArray(spec.policy_types) ? spec.policy_types : [],
          egress: egress.map((e) => {
            const eo = obj(e);
            const to = Array.isArray(eo.to) ? eo.to : [];
            return { to: to.map((t) => ({ ipBlock: obj((Array.isArray(obj(t).ip_block) ? (obj(t).ip_block as Value[])[0] : obj(t).ip_block) ?? {}) })) };
          }),
        },
      },
      pathPrefix: '',
    };
  }
  return undefined;
}

export function k8sObjects(ctx: ScanContext): K8sObject[] {
  const out: K8sObject[] = [];
  for (const r of ctx.resources) {
    if (r.source === 'kubernetes') {
      const meta = obj(r.attrs.metadata);
      out.push({
        resource: r,
        kind: r.type,
        apiVersion: String(r.attrs.apiVersion ?? ''),
        name: String(meta.name ?? r.name),
        namespace: r.namespace ?? (r.type === 'Namespace' ? String(meta.name ?? r.name) : 'default'),
        obj: r.attrs,
        pathPrefix: '',
      });
    } else if (r.source === 'terraform' || r.source === 'plan') {
      const k = fromTerraform(r);
      if (k) out.push(k);
    }
  }
  return out;
}

function containers(o: ValueObject): ValueObject[] {
  const spec = obj(obj(obj(o.spec).template).spec);
  return [...(Array.isArray(spec.containers) ? spec.containers : []), ...(Array.isArray(spec.initContainers) ? spec.initContainers : [])].filter(isObject);
}

function commandLine(c: ValueObject): string {
  const parts = [...(Array.isArray(c.command) ? c.command : []), ...(Array.isArray(c.args) ? c.args : [])];
  return parts.filter((p) => typeof p === 'string').join(' ');
}

/** Images of well-known model servers (a workload running one serves models). */
const MODEL_SERVER_IMAGE = /(tritonserver|tensorflow\/serving|tensorflow-serving|torchserve|pytorch\/torchserve|seldonio\/mlserver|kserve\/|vllm|text-generation-inference|huggingface\/text-embeddings-inference|ollama|openvino\/model_server|bentoml|ray-ml|mlflow)/i;

export function servingWorkloads(objs: K8sObject[]): ServingWorkload[] {
  const out: ServingWorkload[] = [];
  for (const o of objs) {
    if (o.kind === 'InferenceService' && o.apiVersion.startsWith('serving.kserve.io')) {
      out.push({ o, kind: 'kserve', why: 'KServe InferenceService', podLabels: {} });
      continue;
    }
    if (o.kind === 'SeldonDeployment' || (o.kind === 'Model' && o.apiVersion.startsWith('mlops.seldon.io'))) {
      out.push({ o, kind: 'seldon', why: `Seldon ${o.kind}`, podLabels: {} });
      continue;
    }
    if (!['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Pod'].includes(o.kind)) continue;
    const cs = o.kind === 'Pod' ? (Array.isArray(obj(o.obj.spec).containers) ? (obj(o.obj.spec).containers as Value[]).filter(isObject) : []) : containers(o.obj);
    const podLabels = strMap(obj(obj(obj(o.obj.spec).template).metadata).labels);
    for (const c of cs) {
      const cmd = commandLine(c);
      const image = typeof c.image === 'string' ? c.image : '';
      if (/\bmlflow\b.*\b(models|deployments)\s+serve\b|\bmlflow\s+models\s+serve\b/.test(cmd) || (/\bmlflow\b/.test(image) && /\bserve\b/.test(cmd) && !/\bserver\b/.test(cmd))) {
        out.push({ o, kind: 'mlflow', why: `runs \`mlflow models serve\` (container ${String(c.name ?? '')})`, podLabels });
        break;
      }
      if (/\bmlflow\s+server\b/.test(cmd)) {
        // The tracking server is a model registry: serving it publicly hands out model artifacts.
        out.push({ o, kind: 'mlflow', why: `runs the MLflow tracking server / model registry (container ${String(c.name ?? '')})`, podLabels });
        break;
      }
      const m = MODEL_SERVER_IMAGE.exec(image);
      if (m) {
        out.push({ o, kind: 'model-server', why: `runs model server image ${image}`, podLabels });
        break;
      }
    }
  }
  return out;
}

export function annotations(o: K8sObject): Record<string, string> {
  return strMap(obj(o.obj.metadata).annotations);
}

export function labels(o: K8sObject): Record<string, string> {
  return strMap(obj(o.obj.metadata).labels);
}

export interface IngressBackend {
  host: string | undefined;
  path: string;
  service: string | undefined;
  line: number;
}

export function ingressBackends(ctx: ScanContext, o: K8sObject): IngressBackend[] {
  const spec = obj(o.obj.spec);
  const out: IngressBackend[] = [];
  const svcOf = (b: Value | undefined): string | undefined => {
    const bo = obj(b);
    const s = obj(bo.service);
    if (typeof s.name === 'string') return s.name;
    if (typeof bo.serviceName === 'string') return bo.serviceName;
    return undefined;
  };
  const rules = Array.isArray(spec.rules) ? spec.rules : [];
  rules.forEach((rule, ri) => {
    const ro = obj(rule);
    const host = typeof ro.host === 'string' ? ro.host : undefined;
    const paths = Array.isArray(obj(ro.http).paths) ? (obj(ro.http).paths as Value[]) : [];
    paths.forEach((p, pi) => {
      const po = obj(p);
      out.push({
        host,
        path: typeof po.path === 'string' ? po.path : '/',
        service: svcOf(po.backend),
        line: ctx.lineOf(o.resource, `${o.pathPrefix}spec.rules.${ri}.http.paths.${pi}`),
      });
    });
    if (paths.length === 0) out.push({ host, path: '/', service: undefined, line: ctx.lineOf(o.resource, `${o.pathPrefix}spec.rules.${ri}`) });
  });
  const def = spec.defaultBackend ?? spec.backend;
  if (def) out.push({ host: undefined, path: '/', service: svcOf(def), line: ctx.lineOf(o.resource, `${o.pathPrefix}spec.defaultBackend`) });
  return out;
}

/** Services that front a workload: by KServe/Seldon naming conventions, or by label selector. */
export function servicesFor(w: ServingWorkload, objs: K8sObject[]): K8sObject[] {
  const svcs = objs.filter((o) => o.kind === 'Service' && o.namespace === w.o.namespace);
  return svcs.filter((s) => {
    const sel = strMap(obj(s.obj.spec).selector);
    if (Object.keys(sel).length && Object.entries(sel).every(([k, v]) => w.podLabels[k] === v)) return true;
    return false;
  });
}

/** Service names that reach a workload (conventional names for KServe and Seldon, plus selecting Services). */
export function serviceNames(w: ServingWorkload, objs: K8sObject[]): string[] {
  const n = w.o.name;
  const names = servicesFor(w, objs).map((s) => s.name);
  if (w.kind === 'kserve') names.push(n, `${n}-predictor`, `${n}-predictor-default`, `${n}-explainer`, `${n}-transformer`);
  if (w.kind === 'seldon') {
    names.push(n);
    for (const p of Array.isArray(obj(w.o.obj.spec).predictors) ? (obj(w.o.obj.spec).predictors as Value[]) : []) {
      const pn = obj(p).name;
      if (typeof pn === 'string') names.push(`${n}-${pn}`);
    }
  }
  return [...new Set(names)];
}

/** Names and labels that mark a namespace as an AI namespace. */
export const AI_NAMESPACE_WORDS = /(^|[-_.])(ml|ai|mlops|kserve|seldon|mlflow|inference|serving|models?|training|llm)([-_.]|$)/i;
