import type { ScanResult } from '../types.js';

/**
 * The JSON report: `findings`, `resources` and `errors` as the issue fixes
 * them, plus `suppressed`, `notes` and `summary`. Field names are stable.
 */
export function toJsonReport(r: ScanResult): Record<string, unknown> {
  const bySeverity: Record<string, number> = { critical: 0, high: 0, medium: 0, low: 0 };
  for (const f of r.findings) bySeverity[f.severity] = (bySeverity[f.severity] ?? 0) + 1;
  return {
    findings: r.findings,
    resources: r.resources,
    errors: r.errors,
    suppressed: r.suppressed,
    notes: r.notes,
    summary: {
      files: r.stats.files,
      resources: r.resources.length,
      model_stores: r.resources.filter((x) => x.model_store).length,
      findings: r.findings.length,
      by_severity: bySeverity,
      suppressed: r.suppressed.length,
      errors: r.errors.length,
    },
  };
}

export function renderJson(r: ScanResult): string {
  return JSON.stringify(toJsonReport(r), null, 2) + '\n';
}
