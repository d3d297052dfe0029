/**
 * What a rule is: stable id, family (the source rule it implements, kept as
 * an alias), metadata for people and for SARIF, and a check over the scan
 * context. Rules return raw findings; the scanner adds the rule metadata,
 * the fix snippet for the resource's language and applies suppressions.
 */
import type { ScanContext } from '../context.js';
import type { Resource, Severity } from '../types.js';

export interface Family {
  /** The source rule id, accepted everywhere a rule id is (suppressions, --list-rules). */
  id: 'ATLAS-IMP-003' | 'ATLAS-EXF-002' | 'MW-META';
  title: string;
  atlasTechniques: string[];
  atlasMitigations: string[];
}

export const IMP_FAMILY: Family = {
  id: 'ATLAS-IMP-003',
  title: 'Model IP protection',
  // AML.T0048.004 External Harms: ML Intellectual Property Theft; AML.T0025 Exfiltration via Cyber Means; AML.T0044 Full ML Model Access.
  atlasTechniques: ['AML.T0048.004', 'AML.T0025', 'AML.T0044'],
  // AML.M0005 Control Access to ML Models and Data at Rest; AML.M0012 Encrypt Sensitive Information.
  atlasMitigations: ['AML.M0005', 'AML.M0012'],
};

export const EXF_FAMILY: Family = {
  id: 'ATLAS-EXF-002',
  title: 'Model extraction through the inference API',
  // AML.T0024 Exfiltration via ML Inference API; AML.T0024.002 Extract ML Model; AML.T0040 ML Model Inference API Access.
  atlasTechniques: ['AML.T0024', 'AML.T0024.002', 'AML.T0040'],
  // AML.M0004 Restrict Number of ML Model Queries; AML.M0002 Passive ML Output Obfuscation; AML.M0019 Control Access to ML Models and Data in Production.
  atlasMitigations: ['AML.M0004', 'AML.M0002', 'AML.M0019'],
};

export const META_FAMILY: Family = { id: 'MW-META', title: 'Scanner hygiene', atlasTechniques: [], atlasMitigations: [] };

export const EU_AI_ACT = 'EU AI Act Art. 15 (accuracy, robustness and cybersecurity)';
export const ISO_42001 = 'ISO/IEC 42001:2023 8.2 (AI risk assessment)';

export type FixKey = 'aws' | 'gcp' | 'azure' | 'cloudflare' | 'kubernetes' | 'gateway';

export interface Fix {
  language: 'hcl' | 'yaml';
  snippet: string;
}

export interface RawFinding {
  resource: Resource;
  line?: number;
  message: string;
  why?: string;
  related?: Resource[];
}

export interface Rule {
  id: string;
  /** kebab-case name, also accepted in suppressions. */
  name: string;
  family: Family;
  title: string;
  severity: Severity;
  rationale: string;
  remediation: string;
  /** ATT&CK technique ids (nearest neighbours: ATT&CK has no model-theft technique of its own). */
  attack: string[];
  /** Extra ATLAS technique / mitigation ids beyond the family's. */
  fixes: Partial<Record<FixKey, Fix>>;
  check(ctx: ScanContext): RawFinding[];
}

export function fixKeyOf(r: Resource): FixKey | undefined {
  if (r.source === 'kubernetes') return 'kubernetes';
  if (r.source === 'gateway') return 'gateway';
  if (r.type.startsWith('aws_')) return 'aws';
  if (r.type.startsWith('google_')) return 'gcp';
  if (r.type.startsWith('azurerm_')) return 'azure';
  if (r.type.startsWith('cloudflare_')) return 'cloudflare';
  if (r.type.startsWith('kubernetes_')) return 'kubernetes';
  return undefined;
}

export function pickFix(rule: Rule, r: Resource): Fix | undefined {
  const k = fixKeyOf(r);
  return (k && rule.fixes[k]) ?? Object.values(rule.fixes)[0];
}

export function hcl(s: string): Fix {
  return { language: 'hcl', snippet: dedent(s) };
}
export function yaml(s: string): Fix {
  return { language: 'yaml', snippet: dedent(s) };
}

function dedent(s: string): string {
  const lines = s.replace(/^\n/, '').replace(/\s+$/, '').split('\n');
  const min = Math.min(...lines.filter((l) => l.trim()).map((l) => /^ */.exec(l)![0].length));
  return lines.map((l) => l.slice(min)).join('\n');
}
