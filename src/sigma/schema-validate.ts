/**
 * Validation against the specification's own JSON schemas (vendored in
 * ./schema, draft 2020-12). Every schema error maps back to the YAML position
 * of the offending key.
 */
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import detectionSchema from './schema/sigma-detection-rule-schema.json' with { type: 'json' };
import correlationSchema from './schema/sigma-correlation-rules-schema.json' with { type: 'json' };
import filterSchema from './schema/sigma-filters-schema.json' with { type: 'json' };
import type { SigmaProblem } from './types.js';
import { posAtPointer, type YNode } from './yaml-tree.js';

export type DocumentKind = 'rule' | 'correlation' | 'filter';

let validators: Record<DocumentKind, ValidateFunction> | undefined;

function compileAll(): Record<DocumentKind, ValidateFunction> {
  // The published schemas carry keywords Ajv's strict mode rejects (`items` beside `type: object`);
  // they are the specification's text, so they are used as published, not "fixed".
  const ajv = new Ajv2020({ allErrors: true, strict: false, validateSchema: false });
  const addFormats = addFormatsModule as unknown as (a: Ajv2020) => void;
  addFormats(ajv);
  const strip = (s: object): object => {
    const { $schema: _drop, ...rest } = s as Record<string, unknown>;
    return rest;
  };
  return {
    rule: ajv.compile(strip(detectionSchema)),
    correlation: ajv.compile(strip(correlationSchema)),
    filter: ajv.compile(strip(filterSchema)),
  };
}

export function documentKind(data: unknown): DocumentKind {
  if (data && typeof data === 'object') {
    if ('correlation' in data) return 'correlation';
    if ('filter' in data && !('detection' in data)) return 'filter';
  }
  return 'rule';
}

function describe(e: ErrorObject): string {
  const where = e.instancePath ? e.instancePath.slice(1).replace(/\//g, '.') : '(document)';
  switch (e.keyword) {
    case 'required':
      return `${where}: missing required key '${String((e.params as { missingProperty: string }).missingProperty)}'`;
    case 'additionalProperties':
      return `${where}: unknown key '${String((e.params as { additionalProperty: string }).additionalProperty)}'`;
    case 'enum':
      return `${where}: must be one of ${((e.params as { allowedValues: unknown[] }).allowedValues ?? []).join(', ')}`;
    default:
      return `${where}: ${e.message ?? e.keyword}`;
  }
}

export function validateDocument(kind: DocumentKind, data: unknown, root: YNode): SigmaProblem[] {
  validators ??= compileAll();
  const v = validators[kind];
  if (v(data)) return [];
  const seen = new Set<string>();
  const out: SigmaProblem[] = [];
  // `oneOf` of `const` produces one error per branch: report the path once, with the useful message.
  const errors = (v.errors ?? []).filter((e) => e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && e.keyword !== 'if');
  const list = errors.length ? errors : (v.errors ?? []);
  // One message per path for `oneOf` of `const` branches, naming the allowed values.
  const allowed = new Map<string, string[]>();
  for (const e of list) if (e.keyword === 'const') allowed.set(e.instancePath, [...(allowed.get(e.instancePath) ?? []), String((e.params as { allowedValue: unknown }).allowedValue)]);
  for (const e of list) {
    const consts = e.keyword === 'const' ? allowed.get(e.instancePath) : undefined;
    const msg = consts ? `${e.instancePath.slice(1).replace(/\//g, '.')}: must be one of ${consts.join(', ')}` : describe(e);
    const key = `${e.instancePath}|${msg}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const pointer = e.keyword === 'additionalProperties' ? `${e.instancePath}/${String((e.params as { additionalProperty: string }).additionalProperty)}` : e.instancePath;
    out.push({ ...posAtPointer(root, pointer), code: 'MW_ERR_SIGMA_SCHEMA', message: msg });
  }
  return out;
}
