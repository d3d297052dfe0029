/**
 * MirrorWatch posture scanner: finds infrastructure-as-code configuration
 * that makes model theft easy (model stores, keys, endpoints) in Terraform,
 * plan JSON, Kubernetes manifests and the MirrorWatch gateway config.
 *
 *   const scanner = createScanner({ allStores: false, configFile: 'mirrorwatch.yaml' });
 *   const result = await scanner.scan(['infra/']);
 *   process.stdout.write(scanner.format(result, 'sarif'));
 */
import { resolve } from 'node:path';
import { MwError } from '../errors/index.js';
import { defaultConfig, loadConfigFile, parseConfigText, type LoadedConfig, type ScanSection } from './config.js';
import type { ScanContext } from './context.js';
import { renderEvidence } from './output/evidence.js';
import { renderJson } from './output/json.js';
import { renderSarif } from './output/sarif.js';
import { renderText } from './output/text.js';
import { RULES, type Rule } from './rules/index.js';
import { runScan } from './scanner.js';
import { SEVERITIES, severityRank, type ScanResult, type Severity } from './types.js';

export type OutputFormat = 'text' | 'json' | 'sarif';
export const FORMATS: readonly OutputFormat[] = ['text', 'json', 'sarif'];
export type FailOn = Severity | 'none';
export const FAIL_ON: readonly FailOn[] = [...SEVERITIES, 'none'];

export interface ScannerOptions {
  /** Treat every bucket and registry as a model store (`--all-stores`). */
  allStores?: boolean;
  /** A MirrorWatch YAML config file with a `scan:` section (`--config`). */
  configFile?: string;
  /** Or the `scan:` section given directly (tests, embedding). */
  config?: Partial<ScanSection>;
  /** Directory report paths are relative to; defaults to the current directory. */
  base?: string;
}

export interface Scanner {
  readonly rules: readonly Rule[];
  scan(paths: string[]): Promise<ScanResult>;
  format(result: ScanResult, format: OutputFormat): string;
  evidence(result: ScanResult, scanned: string[]): string;
  /** 1 when a finding at or above `failOn` exists, else 0; parse errors make it 2 (the scan is incomplete). */
  exitCode(result: ScanResult, failOn: FailOn): number;
}

function configOf(options: ScannerOptions, base: string): LoadedConfig {
  if (options.configFile) return loadConfigFile(resolve(base, options.configFile), options.configFile);
  if (options.config) return parseConfigText(JSON.stringify({ scan: options.config }), 'options.config');
  return defaultConfig();
}

export function createScanner(options: ScannerOptions = {}): Scanner {
  const base = resolve(options.base ?? process.cwd());
  const config = configOf(options, base);
  return {
    rules: RULES,
    async scan(paths: string[]): Promise<ScanResult> {
      const { result } = await runScan(paths.length ? paths : ['.'], { allStores: options.allStores === true, config, base });
      return result;
    },
    format(result: ScanResult, format: OutputFormat): string {
      switch (format) {
        case 'json':
          return renderJson(result);
        case 'sarif':
          return renderSarif(result, RULES);
        case 'text':
          return renderText(result);
        default:
          throw new MwError('MW_ERR_SCAN_BAD_OPTION', `unknown format ${JSON.stringify(format)} (expected ${FORMATS.join(', ')})`);
      }
    },
    evidence(result: ScanResult, scanned: string[]): string {
      return renderEvidence(result, result.context as ScanContext, scanned);
    },
    exitCode(result: ScanResult, failOn: FailOn): number {
      if (result.errors.length) return 2;
      if (failOn === 'none') return 0;
      return result.findings.some((f) => severityRank(f.severity) >= severityRank(failOn)) ? 1 : 0;
    },
  };
}

export { RULES, SEVERITIES };
export type { Rule, ScanResult, Severity };
export type { Finding, ResourceReport, ScanError } from './types.js';
