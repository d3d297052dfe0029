import type { ScanContext } from '../context.js';
import { S3_READ, statements, strings, type Cite } from '../facts.js';
import { Unknown, type Value } from '../hcl/value.js';
import { identities } from '../context.js';
import { modelStores } from '../stores.js';
import type { Resource } from '../types.js';
import { hcl, IMP_FAMILY, type RawFinding, type Rule } from './rule.js';

/** GCS roles that include storage.objects.get. */
const GCS_READ_ROLES = /^roles\/storage\.(objectViewer|objectUser|objectAdmin|admin|legacyObjectReader|legacyObjectOwner|legacyBucketOwner)$/;
const AZURE_READ_ROLES = /^(Storage Blob Data (Reader|Contributor|Owner)|Reader and Data Access|Storage Account Contributor|Owner|Contributor)$/i;
const AWS_READ_MANAGED = /arn:aws:iam::aws:policy\/(AmazonS3ReadOnlyAccess|AmazonS3FullAccess|ReadOnlyAccess|AdministratorAccess|PowerUserAccess)$/;
/** Group names that usually mean "many people", not one project team. */
const DEFAULT_BROAD_GROUP = /(^|[^a-z])(all|everyone|eng|engineering|staff|employees|users|developers|devs|readers|org|company|contractors)([^a-z@]|@|$)/i;

export interface ReadGrant {
  /** The resource that grants access. */
  grant: Resource;
  principals: string[];
  access: string;
  /** Which model stores it reaches; empty means every store in the root. */
  stores: Resource[];
  broad: boolean;
  reason: string;
  cite: Cite;
}

function broadMember(ctx: ScanContext, m: string): string | undefined {
  const extra = ctx.settings.config.section.broad_principals;
  if (extra.some((p) => new RegExp(p, 'i').test(m))) return `${m} matches scan.broad_principals`;
  if (/^domain:/.test(m)) return `${m} is a whole domain`;
  if (/^project(Viewer|Editor|Owner):/.test(m)) return `${m} is every viewer/editor/owner of the project`;
  if (/^group:/.test(m) && DEFAULT_BROAD_GROUP.test(m.slice(6).split('@')[0]!)) return `${m} looks like an organisation-wide group`;
  return undefined;
}

function txt(v: Value | undefined): string {
  return v instanceof Unknown ? v.text : String(v ?? '');
}

/** Every read grant on model stores found in the tree, broad or not (the evidence report lists them all). */
export function readGrants(ctx: ScanContext): ReadGrant[] {
  const stores = modelStores(ctx);
  const out: ReadGrant[] = [];
  // GCS bucket-level IAM.
  for (const s of stores.filter((x) => x.type === 'google_storage_bucket')) {
    for (const m of ctx.referrers(s, ['google_storage_bucket_iam_member', 'google_storage_bucket_iam_binding'], 'bucket')) {
      const role = txt(m.attrs.role);
      if (!GCS_READ_ROLES.test(role)) continue;
      const members = strings(m.attrs.member).concat(strings(m.attrs.members)).filter((x) => !/^(allUsers|allAuthenticatedUsers)$/.test(x));
      const conditioned = m.attrs.condition !== undefined && m.attrs.condition !== null && !(Array.isArray(m.attrs.condition) && m.attrs.condition.length === 0);
      const reasons = conditioned ? [] : members.map((x) => broadMember(ctx, x)).filter((x): x is string => !!x);
      out.push({
        grant: m,
        principals: members,
        access: `${role} on every object of ${s.address}`,
        stores: [s],
        broad: reasons.length > 0,
        reason: reasons.join('; '),
        cite: { resource: m, line: ctx.lineOf(m, m.attrs.member !== undefined ? 'member' : 'members') },
      });
    }
  }
  // GCP project-level storage roles reach every bucket in the project.
  for (const m of ctx.ofType('google_project_iam_member', 'google_project_iam_binding')) {
    const role = txt(m.attrs.role);
    if (!GCS_READ_ROLES.test(role)) continue;
    const members = strings(m.attrs.member).concat(strings(m.attrs.members));
    const inRoot = stores.filter((s) => s.root === m.root && s.type === 'google_storage_bucket');
    if (inRoot.length === 0) continue;
    const wide = members.filter((x) => !x.startsWith('serviceAccount:'));
    out.push({
      grant: m,
      principals: members,
      access: `${role} on every bucket of the project`,
      stores: inRoot,
      broad: wide.length > 0,
      reason: wide.length ? `project-level ${role} for ${wide.join(', ')} reads every model in every bucket of the project, not per-project grants` : '',
      cite: { resource: m, line: ctx.lineOf(m, 'role') },
    });
  }
  // AWS bucket policies: account-wide principals reading every object.
  for (const s of stores.filter((x) => x.type === 'aws_s3_bucket')) {
    const holders: [Resource, string][] = [[s, 'policy'], ...ctx.referrers(s, ['aws_s3_bucket_policy'], 'bucket').map((p): [Resource, string] => [p, 'policy'])];
    for (const [h, attr] of holders) {
      for (const st of statements(h.attrs[attr])) {
        if (st.effect !== 'Allow' || st.anyone || !st.actions.some((a) => S3_READ.test(a))) continue;
        const allObjects = st.resources.some((r) => r === '*' || /\/\*$/.test(r));
        if (!allObjects) continue;
        const wide = st.principals.filter((p) => /:root$/.test(p) || /^\d{12}$/.test(p) || /\*/.test(p));
        out.push({
          grant: h,
          principals: st.principals,
          access: `${st.actions.join(', ')} on every object of ${s.address}`,
          stores: [s],
          broad: wide.length > 0 && !st.hasCondition,
          reason: wide.length ? `${wide.join(', ')} lets every IAM principal of the account (or a wildcard of roles) read all models` : '',
          cite: { resource: h, line: ctx.lineOf(h, attr) },
        });
      }
    }
  }
  // AWS IAM policies: read on every bucket, or on a model store for a whole group.
  const policyTypes = ['aws_iam_policy', 'aws_iam_role_policy', 'aws_iam_group_policy', 'aws_iam_user_policy'];
  for (const p of ctx.ofType(...policyTypes)) {
    const inRoot = stores.filter((s) => s.root === p.root && s.type === 'aws_s3_bucket');
    if (inRoot.length === 0) continue;
    const attachedGroups =
      p.type === 'aws_iam_group_policy'
        ? [txt(p.attrs.group)]
        : ctx.referrers(p, ['aws_iam_group_policy_attachment'], 'policy_arn').map((x) => txt(x.attrs.group)).concat(ctx.referrers(p, ['aws_iam_policy_attachment'], 'policy_arn').flatMap((x) => strings(x.attrs.groups)));
    for (const st of statements(p.attrs.policy)) {
      if (st.effect !== 'Allow' || !st.actions.some((a) => S3_READ.test(a))) continue;
      const everyBucket = st.resources.some((r) => r === '*' || r === 'arn:aws:s3:::*' || r === 'arn:aws:s3:::*/*');
      const reached = everyBucket ? inRoot : inRoot.filter((s) => ctx.resolve(p, st.raw.Resource, ['aws_s3_bucket']).includes(s) || st.resources.some((r) => identities(s).some((id) => r === id + '/*')));
      if (reached.length === 0) continue;
      const reasons: string[] = [];
      if (everyBucket) reasons.push(`grants ${st.actions.join(', ')} on ${st.resources.join(', ')}: every bucket in the account, models included`);
      if (attachedGroups.length) reasons.push(`attached to IAM group ${attachedGroups.join(', ')}: everyone in the group reads every model`);
      out.push({
        grant: p,
        principals: attachedGroups.length ? attachedGroups.map((g) => `group ${g}`) : p.attrs.role !== undefined ? [`role ${txt(p.attrs.role)}`] : p.attrs.user !== undefined ? [`user ${txt(p.attrs.user)}`] : ['principals it is attached to'],
        access: `${st.actions.join(', ')} on ${everyBucket ? 'every bucket' : reached.map((s) => s.address).join(', ')}`,
        stores: reached,
        broad: reasons.length > 0 && !st.hasCondition,
        reason: reasons.join('; '),
        cite: { resource: p, line: ctx.lineOf(p, 'policy') },
      });
    }
  }
  for (const att of ctx.ofType('aws_iam_group_policy_attachment')) {
    const arn = att.attrs.policy_arn;
    if (typeof arn !== 'string' || !AWS_READ_MANAGED.test(arn)) continue;
    const inRoot = stores.filter((s) => s.root === att.root && s.type === 'aws_s3_bucket');
    if (inRoot.length === 0) continue;
    out.push({
      grant: att,
      principals: [`group ${txt(att.attrs.group)}`],
      access: `${arn.split('/').pop()} (reads every bucket)`,
      stores: inRoot,
      broad: true,
      reason: `managed policy ${arn.split('/').pop()} attached to group ${txt(att.attrs.group)} reads every bucket in the account`,
      cite: { resource: att, line: ctx.lineOf(att, 'policy_arn') },
    });
  }
  // Azure role assignments.
  for (const ra of ctx.ofType('azurerm_role_assignment')) {
    const role = txt(ra.attrs.role_definition_name);
    if (!AZURE_READ_ROLES.test(role)) continue;
    const accounts = stores.filter((s) => s.root === ra.root && s.type === 'azurerm_storage_account');
    if (accounts.length === 0) continue;
    const direct = ctx.resolve(ra, ra.attrs.scope, ['azurerm_storage_account']);
    const containerScope = ctx.resolve(ra, ra.attrs.scope, ['azurerm_storage_container']).length > 0 || /\/containers\//.test(txt(ra.attrs.scope));
    const wideScope = !direct.length && !containerScope && (ctx.resolve(ra, ra.attrs.scope, ['azurerm_resource_group']).length > 0 || /^\/subscriptions\/[^/]+(\/resourceGroups\/[^/]+)?\/?$/i.test(txt(ra.attrs.scope)) || /subscription|resource_group/.test(txt(ra.attrs.scope)));
    const group = String(ra.attrs.principal_type ?? '') === 'Group';
    const reached = direct.filter((s) => accounts.includes(s));
    if (!wideScope && reached.length === 0) continue;
    const reasons: string[] = [];
    if (wideScope) reasons.push(`${role} at ${txt(ra.attrs.scope)} reaches every storage account below it`);
    else if (group && !containerScope) reasons.push(`${role} on the whole account for a group (principal_type Group), not per-container grants`);
    out.push({
      grant: ra,
      principals: [`${String(ra.attrs.principal_type ?? 'principal')} ${txt(ra.attrs.principal_id)}`],
      access: `${role} on ${wideScope ? txt(ra.attrs.scope) : reached.map((s) => s.address).join(', ')}`,
      stores: wideScope ? accounts : reached,
      broad: reasons.length > 0,
      reason: reasons.join('; '),
      cite: { resource: ra, line: ctx.lineOf(ra, 'scope') },
    });
  }
  return out;
}

export const modelStoreBroadRead: Rule = {
  id: 'MW-IMP-005',
  name: 'model-store-broad-read',
  family: IMP_FAMILY,
  title: 'Broad read access to a model store',
  severity: 'high',
  rationale:
    'Model theft usually uses a legitimate credential. A whole domain, an organisation-wide group, an account root principal or a project-level storage role that can read every object ' +
    'turns any one compromised member into a full copy of every model; per-project grants limit the loss to what that project needs.',
  remediation:
    'Grant object read per model project: to named service accounts or small groups, scoped to a prefix (IAM conditions on `resource.name`, S3 `Resource` ARNs on a prefix, Azure role assignments on a container), ' +
    'and remove account-wide, domain-wide and project-level storage read roles.',
  attack: ['T1530', 'T1078.004'],
  fixes: {
    gcp: hcl(`
      resource "google_storage_bucket_iam_member" "fraud_model_reader" {
        bucket = google_storage_bucket.models.name
        role   = "roles/storage.objectViewer"
        member = "serviceAccount:fraud-serving@PROJECT.iam.gserviceaccount.com"
        condition {
          title      = "fraud-model-only"
          expression = "resource.name.startsWith(\\"projects/_/buckets/\${google_storage_bucket.models.name}/objects/fraud/\\")"
        }
      }
    `),
    aws: hcl(`
      data "aws_iam_policy_document" "fraud_model_read" {
        statement {
          actions   = ["s3:GetObject"]
          resources = ["\${aws_s3_bucket.models.arn}/fraud/*"]
        }
      }

      resource "aws_iam_role_policy" "fraud_serving" {
        role   = aws_iam_role.fraud_serving.id
        policy = data.aws_iam_policy_document.fraud_model_read.json
      }
    `),
    azure: hcl(`
      resource "azurerm_role_assignment" "fraud_model_reader" {
        scope                = azurerm_storage_container.fraud.resource_manager_id
        role_definition_name = "Storage Blob Data Reader"
        principal_id         = azurerm_user_assigned_identity.fraud_serving.principal_id
      }
    `),
  },
  check(ctx) {
    const out: RawFinding[] = [];
    for (const g of readGrants(ctx)) {
      if (!g.broad) continue;
      out.push({
        resource: g.grant,
        line: g.cite.line,
        message: `${g.reason} (${g.access}); model stores reached: ${g.stores.map((s) => s.address).join(', ')}`,
        why: g.stores.map((s) => `${s.address}: ${ctx.why(s) ?? ''}`).join('; '),
        related: g.stores,
      });
    }
    return out;
  },
};
