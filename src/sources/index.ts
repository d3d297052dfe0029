/**
 * How to add one (contract, fixtures, expected.json, docs): docs/sources/CONTRIBUTING.md.
 * The registry of source parsers, in detection-priority order. Each parser
 * lives in src/sources/<format>/index.ts and exports one SourceParser.
 */
import { MwError } from '../errors/index.js';
import { mlPlatformParsers } from './ml-platform/index.js';
import { gatewayAuditParser } from './gateway-audit/index.js';
import { mlflowAccessParser } from './mlflow-access/index.js';
import { s3ServerAccessParser } from './s3-access/index.js';
import { cloudTrailParsers } from './cloudtrail/index.js';
import { minioAuditParser } from './minio-audit/index.js';
import { kserveCloudEventsParser } from './cloudevents/index.js';
import { referenceParsers } from './reference/index.js';
import { hrCsvParser } from './hr-csv/index.js';
import type { Sample, SourceParser } from './types.js';

export type * from './types.js';

export const PARSERS: readonly SourceParser[] = [
  ...mlPlatformParsers,
  gatewayAuditParser,
  mlflowAccessParser,
  s3ServerAccessParser,
  ...cloudTrailParsers,
  minioAuditParser,
  kserveCloudEventsParser,
  ...referenceParsers,
  hrCsvParser,
];

export function parserByFormat(format: string): SourceParser {
  const p = PARSERS.find((x) => x.format === format);
  if (!p) {
    throw new MwError(
      'MW_ERR_INGEST_BAD_FORMAT_NAME',
      `unknown format "${format}"; known formats: ${PARSERS.map((x) => x.format).join(', ')}`,
    );
  }
  return p;
}

/** Below this confidence a file is not claimed by any parser. */
export const MIN_DETECT_CONFIDENCE = 0.5;

export function detectFormat(sample: Sample): { parser: SourceParser; confidence: number } | null {
  let best: { parser: SourceParser; confidence: number } | null = null;
  for (const parser of PARSERS) {
    let c: number;
    try {
      c = parser.detect(sample);
    } catch {
      // A detector that throws on odd input simply does not claim the file.
      c = 0;
    }
    if (c >= MIN_DETECT_CONFIDENCE && (!best || c > best.confidence)) best = { parser, confidence: c };
  }
  return best;
}
