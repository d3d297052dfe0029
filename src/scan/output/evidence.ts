/**
 * The evidence report for auditors: the source rules' audit questions
 * answered from what the scan found, one section per question, every answer
 * citing `file:line` so it can be checked against the configuration.
 */
import type { ScanContext } from '../context.js';
import { endpointModel } from '../endpoints.js';
import { encryptionOf, rotationOf, versioningOf } from '../facts.js';
import { aiNamespaces } from '../rules/ai-namespace-egress.js';
import { auditLogBuckets, retentionLockOf } from '../rules/audit-log-retention-lock.js';
import { exposures } from '../rules/endpoint-exposes-scores.js';
import { auditRecordsOf } from '../rules/model-store-access-logging.js';
import { readGrants } from '../rules/model-store-broad-read.js';
import { publicAccessIssues } from '../rules/model-store-public-access.js';
import { modelStores } from '../stores.js';
import type { Resource, ScanResult } from '../types.js';

function at(r: Resource, line?: number): string {
  return `\`${r.file}:${line ?? r.line}\``;
}

function cell(s: string): string {
  return s.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

function table(head: string[], rows: string[][]): string[] {
  if (rows.length === 0) return [];
  return [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.map(cell).join(' | ')} |`)];
}

export function renderEvidence(result: ScanResult, ctx: ScanContext, scanned: string[], now = new Date()): string {
  const out: string[] = [];
  const stores = modelStores(ctx);
  const ceiling = ctx.settings.config.section.rate_limit_ceiling_per_hour;
  out.push('# MirrorWatch model-theft posture evidence');
  out.push('');
  out.push(`Generated ${now.toISOString()} by \`mirrorwatch scan --evidence\` over ${scanned.map((p) => `\`${p}\``).join(', ')}: ${result.stats.files} files, ${result.resources.length} resources, ${stores.length} model stores, ${result.findings.length} open findings, ${result.suppressed.length} suppressed.`);
  out.push('');
  out.push('Source rules: ATLAS-IMP-003 (model IP protection) and ATLAS-EXF-002 (model extraction). Every statement below cites the configuration line it rests on; configuration that was not scanned (remote modules, resources managed elsewhere) is not evidence either way.');
  if (result.errors.length) {
    out.push('');
    out.push(`**Scan incomplete:** ${result.errors.length} file(s) could not be parsed and are not covered: ${result.errors.map((e) => `\`${e.file}:${e.line}\` (${e.message})`).join('; ')}.`);
  }

  // 1. Encryption.
  out.push('', '## 1. How are model weights encrypted, and with which keys?', '');
  if (stores.length === 0) out.push('No model store was identified in the scanned configuration (see `resources[].why` in the JSON report for each bucket and registry).');
  else {
    out.push(
      ...table(
        ['Model store', 'Why it holds models', 'Encryption', 'Key', 'Rotation', 'Versioning'],
        stores.map((s) => {
          const e = encryptionOf(ctx, s);
          const keys = e.keys.map((k) => {
            const rot = rotationOf(ctx, k);
            return { k, rot };
          });
          const v = versioningOf(ctx, s);
          return [
            `${s.address} ${at(s)}`,
            ctx.why(s) ?? '',
            `${e.status === 'cmk' ? 'customer-managed key' : 'provider-managed key'}: ${e.detail} ${at(e.cite.resource, e.cite.line)}`,
            keys.length ? keys.map(({ k }) => `${k.address} ${at(k)}`).join(', ') : e.externalKey ? `${e.externalKey} (outside the scanned tree)` : 'none of yours',
            keys.length ? keys.map(({ rot }) => `${rot.detail} ${at(rot.cite.resource, rot.cite.line)}`).join('; ') : e.externalKey ? 'not verifiable from this configuration' : 'n/a',
            v ? `${v.ok ? 'on' : 'off'}: ${v.detail} ${at(v.cite.resource, v.cite.line)}` : 'n/a',
          ];
        }),
      ),
    );
  }

  // 2. Who can read.
  out.push('', '## 2. Who can read the model stores?', '');
  if (stores.length === 0) out.push('No model store was identified.');
  const grants = readGrants(ctx);
  for (const s of stores) {
    const pub = publicAccessIssues(ctx, s);
    const gs = grants.filter((g) => g.stores.includes(s));
    out.push(`- **${s.address}** ${at(s)}:`);
    if (pub.length) for (const p of pub) out.push(`  - public/anonymous exposure: ${p.message} ${at(p.cite.resource, p.cite.line)}`);
    else out.push('  - no public or anonymous access path in the configuration.');
    if (gs.length) for (const g of gs) out.push(`  - ${g.grant.address} (${g.principals.join(', ') || 'principals'}): ${g.access}${g.broad ? ` **(broad: ${g.reason})**` : ''} ${at(g.grant, g.cite.line)}`);
    else out.push('  - no object-read grants in the scanned configuration (grants managed elsewhere are not visible here).');
  }

  // 3. Rate limits.
  const model = endpointModel(ctx);
  out.push('', '## 3. What is the rate limit per API key?', '');
  out.push(`Ceiling applied: ${ceiling.toLocaleString('en-US')} requests per hour per principal (\`scan.rate_limit_ceiling_per_hour\`).`, '');
  if (model.endpoints.length === 0 && model.relevantLimiters.length === 0) out.push('No inference endpoint or rate limit was found in the scanned configuration.');
  const rows: string[][] = [];
  for (const e of model.endpoints) {
    if (e.limiters.length === 0) rows.push([`${e.label} ${at(e.resource, e.line)}`, '**none**', '', '', '']);
    for (const l of e.limiters) {
      rows.push([
        `${e.label} ${at(e.resource, e.line)}`,
        `${l.mechanism}${l.enforcing ? '' : ' (count only, not enforced)'} ${at(l.resource, ctx.lineOf(l.resource, l.path))}`,
        l.perHour === undefined ? 'unknown' : `${Math.round(l.perHour).toLocaleString('en-US')}/h (${l.rateText})`,
        l.keyedBy === 'principal' ? `per principal: ${l.keyText}` : `**${l.keyedBy === 'ip' ? 'per IP, not per API key' : l.keyedBy === 'global' ? 'shared by all callers' : 'unknown'}**: ${l.keyText}`,
        l.perHour === undefined ? '?' : l.perHour <= ceiling ? 'within' : '**above**',
      ]);
    }
  }
  const orphan = model.relevantLimiters.filter((l) => !model.endpoints.some((e) => e.limiters.includes(l)));
  for (const l of orphan) {
    rows.push([
      '(limit on an inference path; endpoint not in the scanned configuration)',
      `${l.mechanism} ${at(l.resource, ctx.lineOf(l.resource, l.path))}`,
      l.perHour === undefined ? 'unknown' : `${Math.round(l.perHour).toLocaleString('en-US')}/h (${l.rateText})`,
      l.keyedBy === 'principal' ? `per principal: ${l.keyText}` : `**${l.keyedBy === 'ip' ? 'per IP, not per API key' : l.keyedBy === 'global' ? 'shared by all callers' : 'unknown'}**: ${l.keyText}`,
      l.perHour === undefined ? '?' : l.perHour <= ceiling ? 'within' : '**above**',
    ]);
  }
  out.push(...table(['Endpoint', 'Limit', 'Requests per hour', 'Counted by', 'vs ceiling'], rows));
  const unauth = model.endpoints.filter((e) => e.auth && !e.auth.authenticated);
  if (model.endpoints.length) {
    out.push('', 'Authentication:');
    for (const e of model.endpoints) {
      out.push(`- ${e.label}: ${e.auth ? `${e.auth.authenticated ? 'authenticated' : '**not authenticated**'} (${e.auth.how}) ${at(e.auth.resource, e.auth.line)}` : 'not determinable from configuration (check the origin)'}`);
    }
    if (unauth.length === 0) out.push('', 'Every endpoint whose authentication is visible in configuration requires it.');
  }

  // 4. Exposure.
  out.push('', '## 4. Are logits or confidences exposed?', '');
  const ex = exposures(ctx);
  if (ex.length === 0) {
    out.push(model.routes.length || model.workloads.length ? 'No configuration returns logits, confidences or explanations to all callers: no explainer components, and no gateway role open to every caller exposes them.' : 'No serving workload or gateway configuration was found, so exposure cannot be shown from configuration.');
  } else for (const e of ex) out.push(`- ${e.what} returns **${e.outputs.join(', ')}** to ${e.audience} ${at(e.resource, e.line)}`);
  for (const g of ctx.ofType('MirrorWatchGateway')) {
    const roles = g.attrs.roles;
    if (roles && typeof roles === 'object' && !Array.isArray(roles)) {
      const lines = Object.entries(roles).map(([k, v]) => `${k}: ${JSON.stringify((v as Record<string, unknown>)?.expose ?? ['label'])}`);
      out.push(`- gateway ${g.address} output policy per role: ${lines.join('; ')} ${at(g, ctx.lineOf(g, 'roles'))}`);
    }
  }

  // 5. Egress monitoring.
  out.push('', '## 5. What egress monitoring exists?', '');
  const nss = aiNamespaces(ctx);
  if (nss.length === 0) out.push('- No AI namespace (Kubernetes) was found in the scanned configuration.');
  for (const n of nss) {
    const pols = n.egressPolicies.map((p) => `${p.kind} ${p.name} ${at(p.resource)}${n.openPolicies.includes(p) ? ' (allows every destination)' : ''}`);
    out.push(`- namespace **${n.name}** (${n.why}) ${at(n.anchor)}: ${pols.length ? `egress restricted by ${pols.join(', ')}` : '**no egress NetworkPolicy**'}`);
  }
  out.push('', 'Records of reads from model stores (the data-access trail that shows an exfiltration):', '');
  for (const s of stores) {
    const recs = auditRecordsOf(ctx, s);
    if (recs === undefined) out.push(`- ${s.address} ${at(s)}: API calls recorded by the provider's default management-event trail.`);
    else if (recs.length === 0) out.push(`- ${s.address} ${at(s)}: **no access logging or data-access audit**.`);
    else out.push(`- ${s.address} ${at(s)}: ${recs.map((r) => `${r.what} ${at(r.cite.resource, r.cite.line)}`).join('; ')}`);
  }
  const logs = auditLogBuckets(ctx);
  if (logs.size) {
    out.push('', 'Audit-log destinations and their retention lock:', '');
    for (const [b] of logs) {
      const lock = retentionLockOf(ctx, b);
      out.push(`- ${b.address} ${at(b)}: ${lock.locked ? 'locked' : '**not locked**'} (${lock.detail}) ${at(b, lock.line)}`);
    }
  }

  // Findings index.
  out.push('', '## Open findings', '');
  if (result.findings.length === 0) out.push('None.');
  out.push(...table(['Rule', 'Severity', 'Resource', 'Location', 'Finding'], result.findings.map((f) => [`${f.rule} (${f.family})`, f.severity, f.resource, `\`${f.file}:${f.line}\``, f.message])));
  if (result.suppressed.length) {
    out.push('', '## Accepted risks (inline suppressions)', '');
    out.push(...table(['Rule', 'Resource', 'Reason', 'Where'], result.suppressed.map((f) => [f.rule, f.resource, f.suppressed!.reason, `\`${f.suppressed!.file}:${f.suppressed!.line}\``])));
  }
  return out.join('\n') + '\n';
}
