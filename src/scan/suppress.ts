/**
 * Inline suppressions: `# mirrorwatch:ignore RULE reason` (or `// …` in
 * Terraform). RULE is a rule id (`MW-IMP-003`), its name
 * (`model-store-versioning`) or a family alias (`ATLAS-IMP-003`); several
 * can be joined with commas. The comment applies to the resource whose
 * block contains it, or to the resource that starts right after it (only
 * comments and blank lines between). The reason is required: a comment
 * without one, or naming no known rule, suppresses nothing and is itself
 * reported as MW-SUP-001.
 */
import { rulesFor, type Rule } from './rules/index.js';
import type { Resource } from './types.js';

export interface Suppression {
  file: string;
  line: number;
  tokens: string[];
  rules: Rule[];
  reason: string;
  /** Problems that make the suppression invalid. */
  problems: string[];
  targets: Resource[];
}

const MARK = /mirrorwatch:ignore\b(.*)$/;

export function parseSuppressions(file: string, comments: { line: number; text: string }[], lines: string[], resources: Resource[]): Suppression[] {
  const out: Suppression[] = [];
  const inFile = resources.filter((r) => r.file === file);
  for (const c of comments) {
    const m = MARK.exec(c.text.replace(/\*\/\s*$/, ''));
    if (!m) continue;
    const rest = m[1]!.trim();
    const [first = '', ...words] = rest.split(/\s+/);
    const tokens = first ? first.split(',').filter(Boolean) : [];
    const reason = words.join(' ').trim();
    const problems: string[] = [];
    const rules: Rule[] = [];
    if (tokens.length === 0) problems.push('names no rule');
    for (const t of tokens) {
      const rs = rulesFor(t);
      if (rs.length === 0) problems.push(`names unknown rule ${JSON.stringify(t)}`);
      rules.push(...rs);
    }
    if (!reason) problems.push('gives no reason');
    out.push({ file, line: c.line, tokens, rules, reason, problems, targets: targetsOf(c.line, inFile, lines) });
  }
  return out;
}

function targetsOf(line: number, inFile: Resource[], lines: string[]): Resource[] {
  const containing = inFile.filter((r) => r.line <= line && line <= r.endLine);
  if (containing.length) {
    // The narrowest enclosing resource (a YAML document inside a List, a block).
    const span = Math.min(...containing.map((r) => r.endLine - r.line));
    return containing.filter((r) => r.endLine - r.line === span);
  }
  // Otherwise the next resource, if only comments and blank lines stand between.
  const after = inFile.filter((r) => r.line > line).sort((a, b) => a.line - b.line);
  const next = after[0];
  if (!next) return [];
  for (let l = line + 1; l < next.line; l++) {
    const t = (lines[l - 1] ?? '').trim();
    if (t && !t.startsWith('#') && !t.startsWith('//') && t !== '---') return [];
  }
  return after.filter((r) => r.line === next.line);
}
