/**
 * Plain-text console tables of a lab result: aligned columns, numbers with
 * fixed decimals, '-' where a metric does not apply. Names in the result can
 * come from configuration an attacker influences, so control characters are
 * replaced before they reach a terminal.
 */
import { floorChecks, fmtCount, fmtNum, type FloorOptions } from './analysis.js';
import type { LabResult } from './schema.js';

export interface Table {
  title: string;
  /** One sentence a reader needs to read the table; the Markdown report prints it under the title. */
  caption: string;
  head: string[];
  /** Right-aligned (numeric) columns. */
  numeric: boolean[];
  rows: string[][];
}

// C0, DEL and C1 controls: escape sequences could rewrite the terminal.
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/g;
export const plain = (s: string): string => s.replace(CONTROL, '?');

function table(title: string, caption: string, cols: Array<[string, boolean]>, rows: string[][]): Table {
  return { title, caption, head: cols.map((c) => c[0]), numeric: cols.map((c) => c[1]), rows };
}

export function victimsTable(r: LabResult): Table {
  return table(
    'Victims',
    'Held-out accuracy of the victim models the attacks target, so the stolen fidelity is measured against credible models.',
    [['victim', false], ['metric', false], ['value', true], ['train', true], ['test', true]],
    r.victims.map((v) => [v.name, v.metric, fmtNum(v.value), fmtCount(v.n_train), fmtCount(v.n_test)]),
  );
}

export function fidelityTable(r: LabResult): Table {
  const rows: string[][] = [];
  for (const a of r.attacks) {
    for (const f of a.fidelity) {
      rows.push([a.name, a.victim, a.policy, fmtCount(f.queries), fmtNum(f.r2), fmtNum(f.spearman), fmtNum(f.top100_overlap), fmtNum(f.agreement), fmtNum(f.mae), fmtNum(f.rmse), fmtNum(f.auc)]);
    }
  }
  return table(
    'Surrogate fidelity',
    "How closely the attacker's surrogate matches the victim on held-out molecules after each number of answered queries, per attack and output policy.",
    [['attack', false], ['victim', false], ['policy', false], ['queries', true], ['r2', true], ['spearman', true], ['top100', true], ['agreement', true], ['mae', true], ['rmse', true], ['auc', true]],
    rows,
  );
}

export function detectionTable(r: LabResult): Table {
  return table(
    'Detection points',
    "Queries the attacker had sent when MirrorWatch raised its first alert, opened an incident and blocked the key ('-': never).",
    [['attack', false], ['victim', false], ['strategy', false], ['keys', true], ['policy', false], ['sent', true], ['answered', true], ['first alert', true], ['incident', true], ['block', true]],
    r.attacks.map((a) => [a.name, a.victim, a.strategy, fmtCount(a.keys), a.policy, fmtCount(a.queries_sent), fmtCount(a.queries_answered), fmtCount(a.queries_to_first_alert), fmtCount(a.queries_to_incident), fmtCount(a.queries_to_block)]),
  );
}

export function membershipTable(r: LabResult): Table {
  return table(
    'Membership inference',
    'How well each attack tells training molecules from held-out ones under each policy (AUC 0.5 is chance; TPR at low FPR is what an attacker can claim with confidence).',
    [['policy', false], ['victim', false], ['attack', false], ['auc', true], ['tpr@1%fpr', true], ['tpr@0.1%fpr', true]],
    r.membership.map((m) => [m.policy, m.victim, m.attack, fmtNum(m.auc), fmtNum(m.tpr_at_1pct_fpr), fmtNum(m.tpr_at_01pct_fpr)]),
  );
}

export function benignTable(r: LabResult): Table {
  return table(
    'Benign traffic',
    `Researchers' focused scaffold series (${r.benign.queries} queries) raised ${r.benign.false_positive_alerts} false-positive alerts; utility is how accurate what they receive under each policy is against the victim's true outputs.`,
    [['policy', false], ['victim', false], ['metric', false], ['value', true]],
    r.benign.utility.map((u) => [u.policy, u.victim, u.metric, fmtNum(u.value)]),
  );
}

export function floorsTable(r: LabResult, options?: FloorOptions): Table {
  return table(
    'Floors',
    "The issue's floors with the measured values.",
    [['floor', false], ['measured', false], ['result', false]],
    floorChecks(r, options).map((c) => [c.floor, c.measured, c.pass ? 'PASS' : 'FAIL']),
  );
}

export function allTables(r: LabResult, options?: FloorOptions): Table[] {
  return [victimsTable(r), fidelityTable(r), detectionTable(r), membershipTable(r), benignTable(r), floorsTable(r, options)];
}

/** Columns padded to their widest cell (code points, so a name with accents does not shift the row). */
export function formatTable(t: Table): string {
  const cells = [t.head, ...t.rows].map((row) => row.map(plain));
  const width = (s: string): number => [...s].length;
  const widths = t.head.map((_, c) => Math.max(...cells.map((row) => width(row[c] ?? ''))));
  const line = (row: string[]): string =>
    row
      .map((cell, c) => {
        const pad = ' '.repeat(widths[c]! - width(cell));
        return t.numeric[c] ? pad + cell : cell + pad;
      })
      .join('  ')
      .trimEnd();
  const out = [plain(t.title), line(cells[0]!), widths.map((w) => '-'.repeat(w)).join('  ')];
  if (t.rows.length === 0) out.push('(none)');
  else out.push(...cells.slice(1).map(line));
  return out.join('\n');
}

export function formatTables(r: LabResult, options?: FloorOptions): string {
  return allTables(r, options).map(formatTable).join('\n\n') + '\n';
}
