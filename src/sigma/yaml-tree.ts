/**
 * YAML with positions. Sigma files may hold several documents (a correlation
 * with its base rules, spec: correlation "File Structure"); every node keeps
 * its line and column so that every problem can name file:line:column.
 */
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseAllDocuments, type Node as YamlNode } from 'yaml';
import type { SigmaProblem, SourcePos } from './types.js';

export type YNode =
  | { kind: 'map'; pos: SourcePos; entries: YEntry[] }
  | { kind: 'seq'; pos: SourcePos; items: YNode[] }
  | { kind: 'scalar'; pos: SourcePos; value: string | number | boolean | null };

export interface YEntry {
  key: string;
  keyPos: SourcePos;
  value: YNode;
}

export interface YDocument {
  /** 0-based index of the document in its file. */
  index: number;
  root: YNode;
  /** Plain data (what the JSON schema sees). */
  data: unknown;
}

export function parseYamlDocuments(text: string, file: string): { docs: YDocument[]; problems: SigmaProblem[] } {
  const lc = new LineCounter();
  const problems: SigmaProblem[] = [];
  const posOf = (offset: number): SourcePos => ({ file, ...lc.linePos(offset) });
  const docs: YDocument[] = [];
  const parsed = parseAllDocuments(text, { lineCounter: lc, prettyErrors: false, uniqueKeys: true, version: '1.2' });
  const list = Array.isArray(parsed) ? parsed : [];
  let index = 0;
  for (const d of list) {
    const i = index++;
    for (const e of d.errors) {
      const p = posOf(e.pos[0]);
      problems.push({ ...p, code: 'MW_ERR_SIGMA_YAML', message: e.message.split('\n')[0] ?? e.message });
    }
    if (d.errors.length) continue;
    // An empty document (a trailing `---`) carries nothing to load.
    if (d.contents == null) continue;
    const convert = (n: unknown): YNode => {
      const node = n as YamlNode | null;
      const pos = posOf(node?.range?.[0] ?? 0);
      if (node && isAlias(node)) return convert(node.resolve(d));
      if (node && isMap(node)) {
        const entries: YEntry[] = [];
        for (const pair of node.items) {
          const k = pair.key as YamlNode | null;
          const key = k && isScalar(k) ? String(k.value) : String(k);
          entries.push({ key, keyPos: posOf(k?.range?.[0] ?? 0), value: convert(pair.value) });
        }
        return { kind: 'map', pos, entries };
      }
      if (node && isSeq(node)) return { kind: 'seq', pos, items: node.items.map(convert) };
      if (node && isScalar(node)) {
        const v = node.value;
        const value = typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean' || v === null ? v : String(v);
        return { kind: 'scalar', pos, value };
      }
      return { kind: 'scalar', pos, value: null };
    };
    docs.push({ index: i, root: convert(d.contents), data: d.toJS({ maxAliasCount: 100 }) });
  }
  return { docs, problems };
}

export function entry(node: YNode | undefined, key: string): YEntry | undefined {
  return node?.kind === 'map' ? node.entries.find((e) => e.key === key) : undefined;
}

/** The position of a JSON pointer (`/a/0/b`) in the tree: the key for map members, the item for sequences. */
export function posAtPointer(root: YNode, pointer: string): SourcePos {
  let node: YNode = root;
  let pos = root.pos;
  if (!pointer) return pos;
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (node.kind === 'map') {
      const e = node.entries.find((x) => x.key === seg);
      if (!e) return pos;
      pos = e.keyPos;
      node = e.value;
    } else if (node.kind === 'seq') {
      const it = node.items[Number(seg)];
      if (!it) return pos;
      pos = it.pos;
      node = it;
    } else return pos;
  }
  return pos;
}
