/**
 * Locates the elements of a CloudTrail `{"Records":[...]}` document (or a bare
 * JSON array of records) without parsing them, so that each inner record keeps
 * its original text (for its hash) and the line it starts on (for provenance),
 * and so that the complete records of a truncated file are still recovered.
 */

export interface Span {
  /** UTF-16 index of the element's first character. */
  start: number;
  /** UTF-16 index just past the element. */
  end: number;
}

export interface RecordsScan {
  /** False when the text has no top-level "Records" array (and is not an array). */
  found: boolean;
  elements: Span[];
  /** Where scanning stopped on malformed or truncated JSON inside the array, with why. */
  tail: { start: number; reason: string } | null;
}

function skipWs(s: string, i: number): number {
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
    i++;
  }
  return i;
}

/** Index just past the string starting at `i` (a `"`), or -1 if it never closes. */
function skipString(s: string, i: number): number {
  for (let j = i + 1; j < s.length; j++) {
    const c = s[j];
    if (c === '\\') j++;
    else if (c === '"') return j + 1;
  }
  return -1;
}

/** Index just past the JSON value starting at `i`, or -1 when it is cut off or unbalanced. */
function skipValue(s: string, i: number): number {
  const c = s[i];
  if (c === '"') return skipString(s, i);
  if (c === '{' || c === '[') {
    const stack: string[] = [c === '{' ? '}' : ']'];
    let j = i + 1;
    while (j < s.length) {
      const d = s[j];
      if (d === '"') {
        j = skipString(s, j);
        if (j === -1) return -1;
        continue;
      }
      if (d === '{') stack.push('}');
      else if (d === '[') stack.push(']');
      else if (d === '}' || d === ']') {
        if (stack.pop() !== d) return -1;
        if (stack.length === 0) return j + 1;
      }
      j++;
    }
    return -1;
  }
  let j = i;
  while (j < s.length && !/[\s,\]}]/.test(s[j]!)) j++;
  return j === i ? -1 : j;
}

function scanArray(s: string, i: number, out: RecordsScan): void {
  // `i` is just past the opening bracket.
  for (;;) {
    i = skipWs(s, i);
    if (i >= s.length) {
      out.tail = { start: i, reason: 'Records array is cut off (no closing bracket)' };
      return;
    }
    if (s[i] === ']') return;
    const end = skipValue(s, i);
    if (end === -1) {
      out.tail = { start: i, reason: 'record is truncated or has unbalanced brackets' };
      return;
    }
    out.elements.push({ start: i, end });
    i = skipWs(s, end);
    if (s[i] === ',') i++;
    else if (s[i] === ']') return;
    else {
      out.tail = { start: i, reason: i >= s.length ? 'Records array is cut off (no closing bracket)' : `expected "," or "]" after a record` };
      return;
    }
  }
}

export function scanRecords(s: string): RecordsScan {
  const out: RecordsScan = { found: false, elements: [], tail: null };
  let i = skipWs(s, 0);
  if (s[i] === '[') {
    out.found = true;
    scanArray(s, i + 1, out);
    return out;
  }
  if (s[i] !== '{') return out;
  i++;
  for (;;) {
    i = skipWs(s, i);
    if (s[i] !== '"') return out;
    const keyEnd = skipString(s, i);
    if (keyEnd === -1) return out;
    let key: unknown;
    try {
      key = JSON.parse(s.slice(i, keyEnd));
    } catch {
      return out;
    }
    i = skipWs(s, keyEnd);
    if (s[i] !== ':') return out;
    i = skipWs(s, i + 1);
    if (key === 'Records' && s[i] === '[') {
      out.found = true;
      scanArray(s, i + 1, out);
      return out;
    }
    const end = skipValue(s, i);
    if (end === -1) return out;
    i = skipWs(s, end);
    if (s[i] !== ',') return out;
    i++;
  }
}

/**
 * Converts UTF-16 indexes to 1-based line numbers and the byte offset of that
 * line's start, walking forward once (indexes must be given in ascending order).
 */
export function lineLocator(s: string, baseLine: number, baseOffset: number): (index: number) => { line: number; offset: number } {
  let pos = 0;
  let line = baseLine;
  let lineStart = 0;
  let lineStartBytes = baseOffset;
  return (index) => {
    while (pos < index) {
      const nl = s.indexOf('\n', pos);
      if (nl === -1 || nl >= index) {
        pos = index;
        break;
      }
      lineStartBytes += Buffer.byteLength(s.slice(lineStart, nl + 1));
      lineStart = nl + 1;
      line++;
      pos = nl + 1;
    }
    return { line, offset: lineStartBytes };
  };
}
