/**
 * Principal resolution: sources name the same person as a user id, an email,
 * an IAM ARN, a MinIO access key or a basic-auth user. The directory's
 * `principal`, `email` and `aliases` columns map them all to one canonical id.
 */
import type { DirectoryEntry } from './index.js';

export interface PrincipalResolver {
  resolve(raw: string): string;
}

/** Normal form without a directory: trimmed, lower-cased, IAM ARNs reduced to the user or session name. */
export function normalisePrincipal(raw: string): string {
  const s = raw.trim();
  // arn:aws:iam::123456789012:user/path/alice, arn:aws:sts::123:assumed-role/Role/alice
  const arn = /^arn:aws[\w-]*:(?:iam|sts)::\d*:(user|assumed-role|role)\/(.+)$/.exec(s);
  if (arn) {
    const parts = arn[2]!.split('/');
    return (parts[parts.length - 1] ?? s).toLowerCase();
  }
  return s.toLowerCase();
}

export function createPrincipalResolver(directory: readonly DirectoryEntry[] = []): PrincipalResolver {
  const map = new Map<string, string>();
  for (const d of directory) {
    const canonical = normalisePrincipal(d.principal);
    map.set(canonical, canonical);
    if (d.email) map.set(normalisePrincipal(d.email), canonical);
    for (const a of d.aliases) map.set(normalisePrincipal(a), canonical);
  }
  return {
    resolve(raw) {
      const n = normalisePrincipal(raw);
      return map.get(n) ?? n;
    },
  };
}
