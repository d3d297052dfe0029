/**
 * SARIF 2.1.0 for GitHub code scanning: every rule carries help text and
 * `properties.security-severity` (GitHub maps > 9.0 to critical, 7.0–8.9 to
 * high, 4.0–6.9 to medium, 0.1–3.9 to low), every result a physical location
 * (relative URI, start line) and a stable partial fingerprint so alerts
 * survive line moves. Parse errors become tool execution notifications.
 */
import { createHash } from 'node:crypto';
import { EU_AI_ACT, ISO_42001, type Rule } from '../rules/rule.js';
import type { Finding, ScanResult, Severity } from '../types.js';

export const SECURITY_SEVERITY: Record<Severity, string> = { critical: '9.5', high: '8.0', medium: '5.5', low: '3.0' };
const LEVEL: Record<Severity, 'error' | 'warning' | 'note'> = { critical: 'error', high: 'error', medium: 'warning', low: 'note' };

export const TOOL_VERSION = '0.1.0';

export function ruleHelpMarkdown(rule: Rule): string {
  const lines = [
    `**${rule.title}** (${rule.id}, family ${rule.family.id}, severity ${rule.severity})`,
    '',
    rule.rationale,
    '',
    `**Remediation.** ${rule.remediation}`,
    '',
    '**Mappings.**',
    rule.family.atlasTechniques.length ? `- MITRE ATLAS techniques: ${rule.family.atlasTechniques.join(', ')}` : '',
    rule.family.atlasMitigations.length ? `- MITRE ATLAS mitigations: ${rule.family.atlasMitigations.join(', ')}` : '',
    rule.attack.length ? `- MITRE ATT&CK: ${rule.attack.join(', ')}` : '',
    `- ${EU_AI_ACT}`,
    `- ${ISO_42001}`,
  ].filter((l) => l !== '');
  for (const [k, fix] of Object.entries(rule.fixes)) {
    lines.push('', `**Fix (${k}).**`, '', '```' + (fix.language === 'hcl' ? 'hcl' : 'yaml'), fix.snippet, '```');
  }
  return lines.join('\n');
}

function ruleHelpText(rule: Rule): string {
  return `${rule.rationale}\n\nRemediation: ${rule.remediation}\n\nMappings: ATLAS ${[...rule.family.atlasTechniques, ...rule.family.atlasMitigations].join(', ') || 'n/a'}; ATT&CK ${rule.attack.join(', ') || 'n/a'}; ${EU_AI_ACT}; ${ISO_42001}.`;
}

function fingerprint(f: Finding): string {
  return createHash('sha256').update(`${f.rule}\u0000${f.file}\u0000${f.resource}\u0000${f.message}`).digest('hex').slice(0, 32);
}

function uri(file: string): string {
  return file.split('/').map(encodeURIComponent).join('/');
}

function result(f: Finding, index: number): Record<string, unknown> {
  return {
    ruleId: f.rule,
    ruleIndex: index,
    level: LEVEL[f.severity],
    message: { text: `${f.resource}: ${f.message}${f.why ? ` (model store: ${f.why})` : ''}` },
    locations: [
      {
        physicalLocation: { artifactLocation: { uri: uri(f.file), uriBaseId: '%SRCROOT%' }, region: { startLine: Math.max(1, f.line) } },
        logicalLocations: [{ fullyQualifiedName: f.resource, kind: 'resource' }],
      },
    ],
    ...(f.related?.length
      ? {
          relatedLocations: f.related.map((r, i) => ({
            id: i + 1,
            physicalLocation: { artifactLocation: { uri: uri(r.file), uriBaseId: '%SRCROOT%' }, region: { startLine: Math.max(1, r.line) } },
            message: { text: r.address },
          })),
        }
      : {}),
    partialFingerprints: { 'mirrorwatchFinding/v1': fingerprint(f) },
    ...(f.suppressed ? { suppressions: [{ kind: 'inSource', justification: f.suppressed.reason }] } : {}),
    properties: { family: f.family, severity: f.severity, ...(f.why ? { modelStoreWhy: f.why } : {}) },
  };
}

export function toSarif(r: ScanResult, rules: readonly Rule[]): Record<string, unknown> {
  const index = new Map(rules.map((rule, i) => [rule.id, i]));
  return {
    $schema: 'https://json.schemastore.org/sarif-2.1.0.json',
    version: '2.1.0',
    runs: [
      {
        tool: {
          driver: {
            name: 'MirrorWatch',
            semanticVersion: TOOL_VERSION,
            version: TOOL_VERSION,
            rules: rules.map((rule) => ({
              id: rule.id,
              name: rule.name.replace(/(^|-)([a-z])/g, (_m, _d: string, c: string) => c.toUpperCase()),
              shortDescription: { text: rule.title },
              fullDescription: { text: rule.rationale },
              help: { text: ruleHelpText(rule), markdown: ruleHelpMarkdown(rule) },
              defaultConfiguration: { level: LEVEL[rule.severity] },
              properties: {
                'security-severity': SECURITY_SEVERITY[rule.severity],
                precision: 'high',
                tags: ['security', 'iac', rule.family.id, ...rule.family.atlasTechniques, ...rule.attack.map((t) => `attack-${t}`)],
                family: rule.family.id,
                atlasTechniques: rule.family.atlasTechniques,
                atlasMitigations: rule.family.atlasMitigations,
                attack: rule.attack,
                euAiAct: EU_AI_ACT,
                iso42001: ISO_42001,
              },
            })),
          },
        },
        invocations: [
          {
            executionSuccessful: r.errors.length === 0,
            toolExecutionNotifications: r.errors.map((e) => ({
              level: 'error',
              message: { text: `${e.kind} error: ${e.message}` },
              locations: [{ physicalLocation: { artifactLocation: { uri: uri(e.file), uriBaseId: '%SRCROOT%' }, region: { startLine: Math.max(1, e.line), ...(e.column ? { startColumn: e.column } : {}) } } }],
            })),
          },
        ],
        results: [...r.findings, ...r.suppressed].map((f) => result(f, index.get(f.rule) ?? 0)),
        columnKind: 'utf16CodeUnits',
      },
    ],
  };
}

export function renderSarif(r: ScanResult, rules: readonly Rule[]): string {
  return JSON.stringify(toSarif(r, rules), null, 2) + '\n';
}
