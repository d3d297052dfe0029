/**
 * The lab's result model and its renderings: the zod schema every result is
 * validated against, console tables, SVG charts and the Markdown report.
 */
import { floorChecks, type FloorCheck } from './analysis.js';
import { labCharts, type ChartFile } from './charts.js';
import { writeReport, type ReportOptions } from './markdown.js';
import { validateLabResult, type LabResult } from './schema.js';
import { formatTables } from './tables.js';

export type LabReportOptions = ReportOptions;

export interface LabReporter {
  /** Validates a result (throws MW_ERR_LAB_RESULT listing every problem) and returns it typed. */
  validate(value: unknown): LabResult;
  /** All console tables as one string. */
  tables(result: LabResult): string;
  floors(result: LabResult): FloorCheck[];
  charts(result: LabResult): ChartFile[];
  /** Writes lab-report.md and its SVG charts into `dir`; returns the paths, the report first. */
  write(result: LabResult, dir: string): Promise<string[]>;
}

export function createLabReporter(options: LabReportOptions = {}): LabReporter {
  return {
    validate: validateLabResult,
    tables: (r) => formatTables(r, options.floors),
    floors: (r) => floorChecks(r, options.floors),
    charts: labCharts,
    write: (r, dir) => writeReport(r, dir, options),
  };
}

export { FLOORS, floorChecks, hardening, type FloorCheck, type FloorOptions, type Hardening, type HardeningOptions } from './analysis.js';
export { fidelityChart, labCharts, membershipChart, type ChartFile } from './charts.js';
export { REPORT_FILE, renderReport, writeReport, type ReportOptions } from './markdown.js';
export { labResultSchema, validateLabResult, type LabAttack, type LabFidelity, type LabMembership, type LabPolicyRow, type LabResult, type LabVictim } from './schema.js';
export { allTables, formatTable, formatTables, type Table } from './tables.js';
