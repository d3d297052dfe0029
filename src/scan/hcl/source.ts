/**
 * Line numbers for Terraform blocks and attributes.
 *
 * @cdktf/hcl2json returns JSON without source positions, so this module scans
 * the raw text with a small lexer that understands what can hide braces:
 * quoted strings with `${ }` interpolations, heredocs and comments. It finds
 * each top-level block header (`resource "TYPE" "NAME" {`), the line where
 * the block closes, the lines of the block's direct attributes and nested
 * blocks (`encryption {`, `rotation_period =`), and every comment (for
 * `# mirrorwatch:ignore`). The parse itself stays hcl2json's: this scan only
 * locates things and is never trusted for values.
 */

export interface SourceBlock {
  /** `resource`, `data`, `module`, `variable`, `locals`, `output`, … */
  kind: string;
  labels: string[];
  line: number;
  endLine: number;
  /** Direct children (attributes and nested blocks) → first line where each appears. */
  attrLines: Record<string, number>;
  /** Nested block path (`rule.apply_server_side_encryption_by_default.kms_master_key_id`) → line. */
  deepLines: Record<string, number>;
}

export interface SourceComment {
  line: number;
  text: string;
}

export interface SourceMap {
  blocks: SourceBlock[];
  comments: SourceComment[];
}

/** Scans Terraform source text for block positions and comments. Never throws; malformed input yields what was found. */
export function scanSource(src: string): SourceMap {
  const blocks: SourceBlock[] = [];
  const comments: SourceComment[] = [];
  const n = src.length;
  let i = 0;
  let line = 1;
  // Stack of open braces: each frame knows the block (if any) and path inside it.
  interface Frame {
    block: SourceBlock | null;
    path: string[];
    kind: 'block' | 'expr';
  }
  const stack: Frame[] = [];
  // Tokens seen on the current logical statement (identifiers and strings), to name blocks.
  let stmt: { text: string; line: number; quoted: boolean }[] = [];
  let sawEquals = false;

  const top = (): Frame | undefined => stack[stack.length - 1];
  const currentBlockFrame = (): Frame | undefined => {
    for (let k = stack.length - 1; k >= 0; k--) if (stack[k]!.kind === 'block') return stack[k];
    return undefined;
  };
  const inExpr = (): boolean => stack.some((f) => f.kind === 'expr');

  const recordAttr = (name: string, at: number): void => {
    const f = currentBlockFrame();
    if (!f || !f.block || inExpr()) return;
    const path = [...f.path, name].join('.');
    if (f.path.length === 0 && !(name in f.block.attrLines)) f.block.attrLines[name] = at;
    if (!(path in f.block.deepLines)) f.block.deepLines[path] = at;
  };

  while (i < n) {
    const c = src[i]!;
    if (c === '\n') {
      line++;
      i++;
      if (!inExpr() && stack.length === 0) {
        stmt = [];
        sawEquals = false;
      } else if (!inExpr() && top()?.kind === 'block') {
        stmt = [];
        sawEquals = false;
      }
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '#' || (c === '/' && src[i + 1] === '/')) {
      const start = i;
      while (i < n && src[i] !== '\n') i++;
      comments.push({ line, text: src.slice(start, i) });
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const end = src.indexOf('*/', i + 2);
      const stop = end < 0 ? n : end + 2;
      const body = src.slice(i, stop);
      comments.push({ line, text: body });
      line += countNl(body);
      i = stop;
      continue;
    }
    if (c === '"') {
      const start = i;
      i = skipString(src, i);
      const body = src.slice(start, i);
      stmt.push({ text: body.slice(1, -1), line, quoted: true });
      line += countNl(body);
      continue;
    }
    if (c === '<' && src[i + 1] === '<') {
      const m = /^<<-?([A-Za-z_][A-Za-z0-9_]*)[ \t]*\r?\n/.exec(src.slice(i, i + 200));
      if (m) {
        const marker = m[1]!;
        const re = new RegExp(`^[ \\t]*${marker}[ \\t]*$`, 'm');
        const bodyStart = i + m[0].length;
        const rest = src.slice(bodyStart);
        const em = re.exec(rest);
        const stop = em ? bodyStart + em.index + em[0].length : n;
        line += countNl(src.slice(i, stop));
        i = stop;
        continue;
      }
    }
    if (c === '{') {
      const f = top();
      if (!sawEquals && (!f || f.kind === 'block') && stmt.length > 0 && !inExpr()) {
        // A block header: `kind "l1" "l2" {` at top level, or `name {` nested.
        if (stack.length === 0) {
          const [kw, ...labels] = stmt;
          const b: SourceBlock = {
            kind: kw!.text,
            labels: labels.map((l) => l.text),
            line: kw!.line,
            endLine: kw!.line,
            attrLines: {},
            deepLines: {},
          };
          blocks.push(b);
          stack.push({ block: b, path: [], kind: 'block' });
        } else {
          const name = stmt[0]!.text;
          recordAttr(name, stmt[0]!.line);
          const parent = currentBlockFrame();
          // `dynamic "rule" { content { } }` contributes to `rule`.
          const seg = name === 'dynamic' && stmt[1] ? stmt[1].text : name === 'content' && parent?.path.length ? null : name;
          if (name === 'dynamic' && stmt[1]) recordAttr(stmt[1].text, stmt[0]!.line);
          stack.push({ block: parent?.block ?? null, path: seg === null ? [...(parent?.path ?? [])] : [...(parent?.path ?? []), seg], kind: 'block' });
        }
      } else {
        stack.push({ block: null, path: [], kind: 'expr' });
      }
      stmt = [];
      sawEquals = false;
      i++;
      continue;
    }
    if (c === '}') {
      const f = stack.pop();
      if (f && f.kind === 'block' && stack.length === 0 && f.block) f.block.endLine = line;
      if (f?.kind === 'block') {
        stmt = [];
        sawEquals = false;
      }
      i++;
      continue;
    }
    if (c === '[' || c === '(') {
      stack.push({ block: null, path: [], kind: 'expr' });
      i++;
      continue;
    }
    if (c === ']' || c === ')') {
      if (top()?.kind === 'expr') stack.pop();
      i++;
      continue;
    }
    if (c === '=' && src[i + 1] !== '=' && src[i + 1] !== '>' && src[i - 1] !== '!' && src[i - 1] !== '<' && src[i - 1] !== '>' && src[i - 1] !== '=') {
      if (!inExpr() && !sawEquals && stmt.length === 1 && !stmt[0]!.quoted) recordAttr(stmt[0]!.text, stmt[0]!.line);
      sawEquals = true;
      i++;
      continue;
    }
    const m = /^[A-Za-z_][A-Za-z0-9_-]*/.exec(src.slice(i, i + 256));
    if (m) {
      stmt.push({ text: m[0], line, quoted: false });
      i += m[0].length;
      continue;
    }
    i++;
  }
  return { blocks, comments };
}

function countNl(s: string): number {
  let k = 0;
  for (let j = 0; j < s.length; j++) if (s.charCodeAt(j) === 10) k++;
  return k;
}

function skipString(src: string, i: number): number {
  let j = i + 1;
  while (j < src.length) {
    const c = src[j]!;
    if (c === '\\') {
      j += 2;
      continue;
    }
    if (c === '"') return j + 1;
    if (c === '\n') return j; // unterminated: stop at the line end
    if ((c === '$' || c === '%') && src[j + 1] === c && src[j + 2] === '{') {
      j += 3;
      continue;
    }
    if ((c === '$' || c === '%') && src[j + 1] === '{') {
      j = skipBraces(src, j + 2);
      continue;
    }
    j++;
  }
  return j;
}

function skipBraces(src: string, i: number): number {
  let depth = 1;
  let j = i;
  while (j < src.length) {
    const c = src[j]!;
    if (c === '"') {
      j = skipString(src, j);
      continue;
    }
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return j + 1;
    j++;
  }
  return j;
}
