import type { Finding, ScanResult } from '../types.js';

const LABEL: Record<string, string> = { critical: 'CRITICAL', high: 'HIGH', medium: 'MEDIUM', low: 'LOW' };

function indent(s: string, n: number): string {
  const pad = ' '.repeat(n);
  return s
    .split('\n')
    .map((l) => (l ? pad + l : l))
    .join('\n');
}

/** Findings grouped by resource, most severe resource first, with file:line on every line that matters. */
export function renderText(r: ScanResult): string {
  const out: string[] = [];
  const counts = ['critical', 'high', 'medium', 'low'].map((s) => [s, r.findings.filter((f) => f.severity === s).length] as const).filter(([, n]) => n > 0);
  const stores = r.resources.filter((x) => x.model_store).length;
  out.push(
    `MirrorWatch scan: ${r.stats.files} files, ${r.resources.length} resources, ${stores} model store${stores === 1 ? '' : 's'}: ` +
      `${r.findings.length} finding${r.findings.length === 1 ? '' : 's'}${counts.length ? ` (${counts.map(([s, n]) => `${n} ${s}`).join(', ')})` : ''}` +
      `${r.suppressed.length ? `, ${r.suppressed.length} suppressed` : ''}${r.errors.length ? `, ${r.errors.length} error${r.errors.length === 1 ? '' : 's'}` : ''}`,
  );
  const groups = new Map<string, Finding[]>();
  for (const f of r.findings) {
    const k = `${f.file}\u0000${f.resource}`;
    const l = groups.get(k) ?? [];
    l.push(f);
    groups.set(k, l);
  }
  const shownFix = new Set<string>();
  for (const fs of groups.values()) {
    const first = fs[0]!;
    const res = r.resources.find((x) => x.address === first.resource && x.file === first.file);
    out.push('');
    out.push(`${first.resource}  (${first.file}:${res?.line ?? first.line})`);
    const why = fs.find((f) => f.why)?.why;
    if (res?.model_store) out.push(`  model store: ${res.why}`);
    else if (why) out.push(`  why: ${why}`);
    for (const f of fs) {
      out.push(`  ${LABEL[f.severity]!.padEnd(8)} ${f.rule}  ${f.title}`);
      out.push(`           ${f.file}:${f.line}  ${f.message}`);
      for (const rel of f.related ?? []) out.push(`           see ${rel.address} (${rel.file}:${rel.line})`);
      if (f.fix) {
        const key = `${f.rule}\u0000${f.fix.snippet}`;
        if (shownFix.has(key)) out.push(`           fix: as shown above for ${f.rule}`);
        else {
          shownFix.add(key);
          out.push(`           fix (${f.fix.language}):`);
          out.push(indent(f.fix.snippet, 13));
        }
      }
    }
  }
  if (r.suppressed.length) {
    out.push('');
    out.push('Suppressed:');
    for (const f of r.suppressed) out.push(`  ${f.rule} ${f.resource} (${f.file}:${f.line}): ${f.suppressed!.reason} [${f.suppressed!.file}:${f.suppressed!.line}]`);
  }
  if (r.errors.length) {
    out.push('');
    out.push('Errors (these files were not scanned):');
    for (const e of r.errors) out.push(`  ${e.file}:${e.line}${e.column ? `:${e.column}` : ''}  ${e.message}`);
  }
  if (r.notes.length) {
    out.push('');
    out.push('Notes:');
    for (const n of r.notes) out.push(`  ${n.file}:${n.line}  ${n.message}`);
  }
  return out.join('\n') + '\n';
}
