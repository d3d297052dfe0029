/**
 * Reference data: the directory (who is who, team, projects), the model
 * inventory (MLflow registered models with ownership and classification
 * tags), and sensitive compound sets. These are versioned facts, not events.
 */
import type { CompoundEntry, DirectoryEntry, ModelEntry, ReferenceRecord } from '../../events/index.js';
import { CLASSIFICATIONS } from '../../events/index.js';
import { sha256Hex } from '../../util/hash.js';
import { numOrNull, obj, str } from '../shared/envelope.js';
import type { Outcome, ParseContext, RawRecord, Sample, SourceParser } from '../types.js';
import { perRecord, quarantine, refOf } from '../types.js';

function headerOf(sample: Sample): string[] {
  const first = sample.lines[0] ?? '';
  return first
    .replace(/^\uFEFF/, '')
    .split(',')
    .map((h) => h.trim().replace(/^"|"$/g, '').toLowerCase());
}

function list(v: string | undefined): string[] {
  return (v ?? '')
    .split(/[;|]/)
    .map((x) => x.trim())
    .filter(Boolean);
}

function field(f: Record<string, string>, ...names: string[]): string | null {
  for (const n of names) {
    for (const k of Object.keys(f)) {
      if (k.toLowerCase() === n) {
        const v = f[k]?.trim();
        if (v) return v;
      }
    }
  }
  return null;
}

function reference(r: RawRecord, ref: ReferenceRecord): Outcome {
  return { type: 'reference', reference: ref, records: [refOf(r)] };
}

// ---------------------------------------------------------------------------
// Directory CSV: principal (or email), team, projects (;-separated), role, manager.

function directoryRow(r: RawRecord): Outcome {
  const f = r.fields ?? {};
  const email = field(f, 'email', 'mail', 'userprincipalname');
  const principal = field(f, 'principal', 'user_id', 'userid', 'username', 'samaccountname') ?? email;
  if (!principal) return quarantine(r, 'directory row has neither principal nor email');
  const entry: DirectoryEntry = {
    principal: principal.toLowerCase(),
    email: email ? email.toLowerCase() : null,
    displayName: field(f, 'display_name', 'displayname', 'name'),
    team: field(f, 'team', 'department'),
    projects: list(field(f, 'projects', 'project') ?? undefined),
    role: field(f, 'role', 'title', 'job_title'),
    manager: field(f, 'manager')?.toLowerCase() ?? null,
    aliases: list(field(f, 'aliases', 'alias', 'access_keys') ?? undefined),
  };
  return reference(r, { kind: 'directory', entry });
}

export const directoryCsvParser: SourceParser = {
  format: 'directory-csv',
  description: 'Directory export (CSV): principal or email, team, projects, role, manager, aliases',
  framing: 'csv',
  detect(s) {
    const h = headerOf(s);
    const hasId = h.includes('principal') || h.includes('email');
    const hasOrg = h.includes('team') || h.includes('department');
    // HR exports also carry ids and teams; a directory has projects or a role and no event column.
    const hrish = h.includes('event_type') || h.includes('eventtype') || h.includes('effective_date');
    return hasId && hasOrg && (h.includes('projects') || h.includes('role') || h.includes('manager')) && !hrish ? 0.9 : 0;
  },
  parse: perRecord(directoryRow),
};

// ---------------------------------------------------------------------------
// Model inventory: MLflow `registered-models/search` (or legacy `list`)
// response, `{"registered_models":[...]}`, tags as MLflow's [{key,value}] or an object.

function tagsOf(v: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (Array.isArray(v)) {
    for (const t of v) {
      const o = obj(t);
      const k = str(o['key']);
      const val = o['value'];
      if (k && (typeof val === 'string' || typeof val === 'number')) out[k] = String(val);
    }
  } else {
    for (const [k, val] of Object.entries(obj(v))) {
      if (typeof val === 'string' || typeof val === 'number') out[k] = String(val);
    }
  }
  return out;
}

function classificationOf(v: string | undefined): ModelEntry['classification'] {
  const c = (v ?? '').trim().toUpperCase().replace(/[\s-]+/g, '_');
  return (CLASSIFICATIONS as readonly string[]).includes(c) ? (c as ModelEntry['classification']) : 'UNCLASSIFIED';
}

/** Parses "$45M", "45000000", "45,000,000", "1.2B" into a number of currency units. */
export function parseValue(v: string | undefined): number | null {
  if (!v) return null;
  const m = /^\s*\$?\s*([\d,.]+)\s*([kmb])?\s*$/i.exec(v);
  if (!m) return numOrNull(v);
  const n = Number(m[1]!.replace(/,/g, ''));
  if (!Number.isFinite(n)) return null;
  const mult = { k: 1e3, m: 1e6, b: 1e9 }[(m[2] ?? '').toLowerCase() as 'k' | 'm' | 'b'] ?? 1;
  return n * mult;
}

function modelEntry(m: Record<string, unknown>): ModelEntry | string {
  const name = str(m['name']);
  if (!name) return 'registered model without a name';
  const tags = tagsOf(m['tags']);
  const versions = Array.isArray(m['latest_versions']) ? m['latest_versions'].map(obj) : [];
  const latest = versions.reduce<Record<string, unknown> | null>(
    (best, v) => (best === null || Number(v['version']) > Number(best['version']) ? v : best),
    null,
  );
  return {
    name,
    team: tags['team'] ?? tags['owner_team'] ?? tags['owning_team'] ?? null,
    classification: classificationOf(tags['ip_classification'] ?? tags['classification']),
    estimatedValue: parseValue(tags['estimated_value'] ?? tags['value']),
    artifactLocation: tags['artifact_location'] ?? (latest ? str(latest['source']) : null),
    architecture: tags['architecture'] ?? null,
    latestVersion: latest ? str(latest['version']) : null,
    tags,
  };
}

async function* parseModels(records: AsyncIterable<RawRecord>): AsyncGenerator<Outcome> {
  for await (const r of records) {
    let doc: unknown;
    try {
      doc = JSON.parse(r.text);
    } catch (e) {
      yield quarantine(r, `model inventory is not valid JSON: ${(e as Error).message}`);
      continue;
    }
    const o = obj(doc);
    const models = Array.isArray(o['registered_models'])
      ? o['registered_models']
      : o['registered_model']
        ? [o['registered_model']]
        : null;
    if (!models) {
      yield quarantine(r, 'model inventory has no "registered_models" array');
      continue;
    }
    if (models.length === 0) {
      yield quarantine(r, 'model inventory lists no models');
      continue;
    }
    // One document, many logical records: the first model carries the framed
    // record's ref, the rest refs of their own (docs/sources/CONTRIBUTING.md).
    let first = true;
    for (const m of models) {
      const text = JSON.stringify(m);
      const ref = first ? refOf(r) : { line: r.line, offset: r.offset, hash: sha256Hex(text) };
      first = false;
      const e = modelEntry(obj(m));
      if (typeof e === 'string') yield { type: 'quarantine', records: [ref], reason: e, raw: text };
      else yield { type: 'reference', reference: { kind: 'models', entry: e }, records: [ref] };
    }
  }
}

export const mlflowModelsParser: SourceParser = {
  format: 'mlflow-models',
  description: 'Model inventory: MLflow registered-models/search (or list) JSON response with ownership and classification tags',
  framing: 'document',
  detect: (s) => (/^\s*\{[\s\S]{0,200}"registered_models?"\s*:/.test(s.head) ? 0.9 : 0),
  parse: parseModels,
};

// ---------------------------------------------------------------------------
// Compound sets: a CSV with a SMILES column is recognised by `ingest`; a bare list
// of SMILES is not distinguishable from other one-column files by content, so it
// is only loaded explicitly (`reference add compounds`).

function compound(r: RawRecord, smiles: string | null, id: string | null, ctx: ParseContext): Outcome {
  if (!smiles) return quarantine(r, 'no SMILES in this row');
  const canonical = ctx.canonicalSmiles(smiles);
  if (canonical === null) return quarantine(r, `RDKit cannot parse SMILES ${JSON.stringify(smiles.slice(0, 120))}`);
  const entry: CompoundEntry = { smiles, canonical, id };
  return reference(r, { kind: 'compounds', entry });
}

export const compoundsCsvParser: SourceParser = {
  format: 'compounds-csv',
  description: 'Sensitive compound set as CSV with a smiles column (set named after the file; `reference add compounds --name` to choose)',
  framing: 'csv',
  // A CSV whose header names a SMILES column is a compound set: logs never have one.
  detect: (s) => (/^(.*,)?\s*"?(smiles|canonical_smiles)"?\s*(,.*)?$/i.test(s.lines[0] ?? '') ? 0.8 : 0),
  parse: perRecord((r, ctx) => {
    const f = r.fields ?? {};
    return compound(r, field(f, 'smiles', 'canonical_smiles', 'mol'), field(f, 'compound_id', 'id', 'mol_id', 'name'), ctx);
  }),
};

export const compoundsListParser: SourceParser = {
  format: 'compounds-list',
  description: 'Sensitive compound set, one SMILES per line, optionally followed by whitespace and an id',
  framing: 'lines',
  detect: () => 0,
  parse: perRecord((r, ctx) => {
    const [smiles, ...rest] = r.text.trim().split(/\s+/);
    return compound(r, smiles ?? null, rest.join(' ') || null, ctx);
  }),
};

export const referenceParsers: readonly SourceParser[] = [
  directoryCsvParser,
  mlflowModelsParser,
  compoundsCsvParser,
  compoundsListParser,
];
