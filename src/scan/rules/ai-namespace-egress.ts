import type { ScanContext } from '../context.js';
import { isObject, type Value, type ValueObject } from '../hcl/value.js';
import { AI_NAMESPACE_WORDS, k8sObjects, labels, servingWorkloads, type K8sObject } from '../k8s.js';
import type { Resource } from '../types.js';
import { IMP_FAMILY, yaml, type RawFinding, type Rule } from './rule.js';

export interface AiNamespace {
  name: string;
  why: string;
  /** The Namespace object, or the first AI workload when there is none. */
  anchor: Resource;
  line: number;
  egressPolicies: K8sObject[];
  /** Egress policies that allow every destination. */
  openPolicies: K8sObject[];
}

const obj = (v: Value | undefined): ValueObject => (isObject(v) ? v : {});

function hasEgress(p: K8sObject): boolean {
  const spec = obj(p.obj.spec);
  const types = Array.isArray(spec.policyTypes) ? spec.policyTypes : Array.isArray(spec.types) ? spec.types : [];
  if (types.includes('Egress')) return true;
  return 'egress' in spec || 'egressDeny' in spec;
}

/** An egress rule with no `to` (or an ipBlock of 0.0.0.0/0 without exceptions) allows everywhere. */
function allowsAll(p: K8sObject): boolean {
  const rules = obj(p.obj.spec).egress;
  if (!Array.isArray(rules)) return false;
  return rules.some((r) => {
    const ro = obj(r);
    const to = Array.isArray(ro.to) ? ro.to : Array.isArray(ro.toEntities) ? ro.toEntities : undefined;
    if (to === undefined || to.length === 0) {
      // Ports without destinations: DNS (53) to anywhere is the usual default-deny companion; anything else is open egress.
      const ports = [...JSON.stringify(ro.ports ?? ro.toPorts ?? []).matchAll(/"port"\s*:\s*"?(\d+)/g)].map((m) => m[1]);
      return ports.length === 0 || ports.some((p) => p !== '53');
    }
    return to.some((t) => t === 'world' || t === 'all' || (obj(obj(t).ipBlock).cidr === '0.0.0.0/0' && !Array.isArray(obj(obj(t).ipBlock).except)));
  });
}

export function aiNamespaces(ctx: ScanContext): AiNamespace[] {
  const objs = k8sObjects(ctx);
  if (objs.length === 0) return [];
  const configured = new Set(ctx.settings.config.section.ai_namespaces);
  const reasons = new Map<string, { why: string; anchor: Resource }>();
  for (const w of servingWorkloads(objs)) {
    if (!reasons.has(w.o.namespace)) reasons.set(w.o.namespace, { why: `serves models: ${w.o.kind} ${w.o.name} (${w.why})`, anchor: w.o.resource });
  }
  for (const n of objs.filter((x) => x.kind === 'Namespace')) {
    const l = labels(n);
    const lab = Object.entries(l).find(([k, v]) => AI_NAMESPACE_WORDS.test(k.split('/').pop()!) || AI_NAMESPACE_WORDS.test(v));
    const why = configured.has(n.name)
      ? 'listed in scan.ai_namespaces'
      : AI_NAMESPACE_WORDS.test(n.name)
        ? `namespace name ${JSON.stringify(n.name)} is an AI name`
        : lab
          ? `label ${lab[0]}=${lab[1]} marks it as AI`
          : undefined;
    const prev = reasons.get(n.name);
    if (why || prev) reasons.set(n.name, { why: [why, prev?.why].filter(Boolean).join('; '), anchor: n.resource });
  }
  for (const name of configured) if (!reasons.has(name)) {
    const first = objs.find((x) => x.namespace === name);
    if (first) reasons.set(name, { why: 'listed in scan.ai_namespaces', anchor: first.resource });
  }
  const policies = objs.filter((x) => ['NetworkPolicy', 'CiliumNetworkPolicy', 'GlobalNetworkPolicy'].includes(x.kind));
  const out: AiNamespace[] = [];
  for (const [name, { why, anchor }] of reasons) {
    const egress = policies.filter((p) => (p.namespace === name || p.kind === 'GlobalNetworkPolicy') && hasEgress(p));
    out.push({ name, why, anchor, line: anchor.line, egressPolicies: egress, openPolicies: egress.filter(allowsAll) });
  }
  return out.sort((a, b) => a.name.localeCompare(b.name));
}

export const aiNamespaceEgress: Rule = {
  id: 'MW-IMP-008',
  name: 'ai-namespace-egress',
  family: IMP_FAMILY,
  title: 'AI namespace without an egress NetworkPolicy',
  severity: 'high',
  rationale:
    'Serving pods hold the decrypted weights in memory and on local disk. Without an egress policy a compromised model server (a malicious pickle, an RCE in the server) ' +
    'can upload the weights anywhere; default-deny egress with an allow-list turns exfiltration into a blocked, observable connection.',
  remediation:
    'Add a NetworkPolicy with `policyTypes: [Egress]` that selects every pod in the namespace and allows only the destinations serving needs (DNS, the model store endpoint, the mesh). ' +
    'An egress rule without `to`, or to 0.0.0.0/0, allows everything and does not count.',
  attack: ['T1041', 'T1567', 'T1048'],
  fixes: {
    kubernetes: yaml(`
      apiVersion: networking.k8s.io/v1
      kind: NetworkPolicy
      metadata:
        name: default-deny-egress
        namespace: ml-serving
      spec:
        podSelector: {}
        policyTypes: [Egress]
        egress:
          - to:
              - namespaceSelector:
                  matchLabels:
                    kubernetes.io/metadata.name: kube-system
            ports:
              - { protocol: UDP, port: 53 }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const ns of aiNamespaces(ctx)) {
      if (ns.egressPolicies.length === 0) {
        out.push({ resource: ns.anchor, message: `AI namespace ${ns.name} (${ns.why}) has no NetworkPolicy restricting egress`, why: ns.why });
      } else if (ns.openPolicies.length === ns.egressPolicies.length) {
        out.push({ resource: ns.anchor, message: `AI namespace ${ns.name}: egress policies ${ns.openPolicies.map((p) => p.name).join(', ')} allow every destination`, why: ns.why, related: ns.openPolicies.map((p) => p.resource) });
      }
    }
    return out;
  },
};
