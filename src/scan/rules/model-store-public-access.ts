import type { ScanContext } from '../context.js';
import { blockList, firstBlock, getAll, statements, strings, type Cite } from '../facts.js';
import { Unknown } from '../hcl/value.js';
import { modelStores } from '../stores.js';
import type { Resource } from '../types.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

const PUBLIC_ACLS = new Set(['public-read', 'public-read-write', 'authenticated-read']);
const ALL_USERS = /^(allUsers|allAuthenticatedUsers)$/;
const S3_GROUPS = /acs\.amazonaws\.com\/groups\/global\/(AllUsers|AuthenticatedUsers)/;
const PAB_FLAGS = ['block_public_acls', 'block_public_policy', 'ignore_public_acls', 'restrict_public_buckets'] as const;

export interface AccessIssue {
  message: string;
  cite: Cite;
}

function policyIssues(ctx: ScanContext, holder: Resource, attr: string, what: string): AccessIssue[] {
  const out: AccessIssue[] = [];
  for (const st of statements(holder.attrs[attr])) {
    if (st.effect !== 'Allow' || !st.anyone) continue;
    if (st.hasCondition) continue; // a condition (source VPC, org id) narrows "*" to known callers
    out.push({ message: `${what} ${holder.address} allows "Principal": "*" to ${st.actions.join(', ') || 'any action'} with no condition`, cite: { resource: holder, line: ctx.lineOf(holder, attr) } });
  }
  return out;
}

function gcpMembers(r: Resource): string[] {
  return strings(r.attrs.member).concat(strings(r.attrs.members));
}

/** Every way a model store is readable by anyone (or anyone with any account). */
export function publicAccessIssues(ctx: ScanContext, s: Resource): AccessIssue[] {
  const out: AccessIssue[] = [];
  const a = s.attrs;
  switch (s.type) {
    case 'aws_s3_bucket': {
      if (typeof a.acl === 'string' && PUBLIC_ACLS.has(a.acl)) out.push({ message: `acl = "${a.acl}"`, cite: { resource: s, line: ctx.lineOf(s, 'acl') } });
      for (const acl of ctx.referrers(s, ['aws_s3_bucket_acl'], 'bucket')) {
        if (typeof acl.attrs.acl === 'string' && PUBLIC_ACLS.has(acl.attrs.acl)) out.push({ message: `${acl.address} sets acl "${acl.attrs.acl}"`, cite: { resource: acl, line: ctx.lineOf(acl, 'acl') } });
        const grants = getAll(acl.attrs, 'access_control_policy.grant.grantee.uri');
        if (grants.some((g) => typeof g === 'string' && S3_GROUPS.test(g))) out.push({ message: `${acl.address} grants to the AllUsers/AuthenticatedUsers group`, cite: { resource: acl, line: ctx.lineOf(acl, 'access_control_policy') } });
      }
      out.push(...policyIssues(ctx, s, 'policy', 'inline bucket policy of'));
      for (const p of ctx.referrers(s, ['aws_s3_bucket_policy'], 'bucket')) out.push(...policyIssues(ctx, p, 'policy', 'bucket policy'));
      const pab = ctx.referrers(s, ['aws_s3_bucket_public_access_block'], 'bucket')[0];
      const account = ctx.sameRoot(s, 'aws_s3_account_public_access_block').find((x) => PAB_FLAGS.every((f) => x.attrs[f] === true));
      if (!pab && !account) {
        out.push({ message: 'no aws_s3_bucket_public_access_block (nor an account-level block) for this bucket: a later ACL or policy change can make models public', cite: { resource: s, line: s.line } });
      } else if (pab && !account) {
        const off = PAB_FLAGS.filter((f) => pab.attrs[f] !== true);
        if (off.length) out.push({ message: `${pab.address} leaves ${off.join(', ')} off`, cite: { resource: pab, line: ctx.lineOf(pab, off[0]) } });
      }
      break;
    }
    case 'google_storage_bucket': {
      if (a.uniform_bucket_level_access !== true) {
        out.push({ message: 'uniform_bucket_level_access is not true: per-object ACLs can make individual models public', cite: { resource: s, line: ctx.lineOf(s, 'uniform_bucket_level_access') } });
      }
      for (const m of ctx.referrers(s, ['google_storage_bucket_iam_member', 'google_storage_bucket_iam_binding'], 'bucket')) {
        const pub = gcpMembers(m).filter((x) => ALL_USERS.test(x));
        if (pub.length) out.push({ message: `${m.address} grants ${String(m.attrs.role instanceof Unknown ? m.attrs.role.text : m.attrs.role)} to ${pub.join(', ')}`, cite: { resource: m, line: ctx.lineOf(m, m.attrs.member !== undefined ? 'member' : 'members') } });
      }
      for (const p of ctx.referrers(s, ['google_storage_bucket_iam_policy'], 'bucket')) {
        const members = getAll(p.attrs.policy_data, 'bindings.members').flatMap(strings);
        const dataRefs = ctx.resolve(p, p.attrs.policy_data, ['google_iam_policy']);
        for (const d of dataRefs) members.push(...getAll(d.attrs, 'binding.members').flatMap(strings));
        const pub = members.filter((x) => ALL_USERS.test(x));
        if (pub.length) out.push({ message: `${p.address} policy grants to ${[...new Set(pub)].join(', ')}`, cite: { resource: p, line: ctx.lineOf(p, 'policy_data') } });
      }
      for (const c of ctx.referrers(s, ['google_storage_bucket_access_control', 'google_storage_default_object_access_control', 'google_storage_object_access_control'], 'bucket')) {
        if (typeof c.attrs.entity === 'string' && ALL_USERS.test(c.attrs.entity)) out.push({ message: `${c.address} grants ${String(c.attrs.role)} to ${c.attrs.entity}`, cite: { resource: c, line: ctx.lineOf(c, 'entity') } });
      }
      for (const c of ctx.referrers(s, ['google_storage_bucket_acl', 'google_storage_default_object_acl'], 'bucket')) {
        const ents = strings(c.attrs.role_entity).filter((x) => /:(allUsers|allAuthenticatedUsers)$/.test(x));
        if (ents.length || c.attrs.predefined_acl === 'publicRead') out.push({ message: `${c.address} grants ${ents.join(', ') || 'publicRead'}`, cite: { resource: c, line: ctx.lineOf(c, ents.length ? 'role_entity' : 'predefined_acl') } });
      }
      break;
    }
    case 'azurerm_storage_account': {
      const v = a.allow_nested_items_to_be_public ?? a.allow_blob_public_access;
      if (v !== false) {
        out.push({
          message: v === true ? 'allow_nested_items_to_be_public = true: containers can be opened to anonymous reads' : 'allow_nested_items_to_be_public is not set to false: the provider default lets containers be opened to anonymous reads',
          cite: { resource: s, line: ctx.lineOf(s, 'allow_nested_items_to_be_public') },
        });
      }
      const containers = ctx.referrers(s, ['azurerm_storage_container'], 'storage_account_name').concat(ctx.referrers(s, ['azurerm_storage_container'], 'storage_account_id'));
      for (const c of new Set(containers)) {
        const t = c.attrs.container_access_type;
        if (t === 'blob' || t === 'container') out.push({ message: `${c.address} has container_access_type "${t}" (anonymous reads)`, cite: { resource: c, line: ctx.lineOf(c, 'container_access_type') } });
      }
      break;
    }
    case 'aws_ecr_repository':
      for (const p of ctx.referrers(s, ['aws_ecr_repository_policy'], 'repository')) out.push(...policyIssues(ctx, p, 'policy', 'repository policy'));
      break;
    case 'google_artifact_registry_repository':
      for (const m of ctx.referrers(s, ['google_artifact_registry_repository_iam_member', 'google_artifact_registry_repository_iam_binding'], 'repository')) {
        const pub = gcpMembers(m).filter((x) => ALL_USERS.test(x));
        if (pub.length) out.push({ message: `${m.address} grants ${String(m.attrs.role)} to ${pub.join(', ')}`, cite: { resource: m, line: ctx.lineOf(m, 'member') } });
      }
      break;
    case 'azurerm_container_registry':
      if (a.anonymous_pull_enabled === true) out.push({ message: 'anonymous_pull_enabled = true', cite: { resource: s, line: ctx.lineOf(s, 'anonymous_pull_enabled') } });
      break;
  }
  return out;
}

export const modelStorePublicAccess: Rule = {
  id: 'MW-IMP-004',
  name: 'model-store-public-access',
  family: IMP_FAMILY,
  title: 'Model store open to public or anonymous access',
  severity: 'critical',
  rationale:
    'A model store readable by anyone (public ACLs, allUsers/allAuthenticatedUsers, "Principal": "*" policies) hands the weights to whoever finds the URL; ' +
    'a missing public-access block or non-uniform access lets one later ACL change do the same without any review of the bucket itself.',
  remediation:
    'Remove public grants and lock the store against them: S3 `aws_s3_bucket_public_access_block` with all four settings true and no `"Principal": "*"` Allow without a condition; ' +
    'GCS `uniform_bucket_level_access = true` (and `public_access_prevention = "enforced"`) with no allUsers/allAuthenticatedUsers members; Azure `allow_nested_items_to_be_public = false` and private containers.',
  attack: ['T1530', 'T1619'],
  fixes: {
    aws: hcl(`
      resource "aws_s3_bucket_public_access_block" "models" {
        bucket                  = aws_s3_bucket.models.id
        block_public_acls       = true
        block_public_policy     = true
        ignore_public_acls      = true
        restrict_public_buckets = true
      }
    `),
    gcp: hcl(`
      resource "google_storage_bucket" "models" {
        # ...
        uniform_bucket_level_access = true
        public_access_prevention    = "enforced"
      }
    `),
    azure: hcl(`
      resource "azurerm_storage_account" "models" {
        # ...
        allow_nested_items_to_be_public = false
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const s of modelStores(ctx)) {
      for (const issue of publicAccessIssues(ctx, s)) {
        out.push({ resource: s, line: issue.cite.resource === s ? issue.cite.line : s.line, message: issue.message, ...(issue.cite.resource !== s ? { related: [issue.cite.resource] } : {}) });
      }
    }
    return out;
  },
};

export { blockList, firstBlock };
