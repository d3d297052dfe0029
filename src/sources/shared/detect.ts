/** Detection helpers shared by the JSON-lines parsers. */
import type { Sample } from '../types.js';

/**
 * Of the first sample lines that look like JSON objects, the share that pass
 * `test` (0 when none looks like JSON). Lines that fail to parse count as
 * misses: the last line of a sample may be cut, and pretty-printed documents
 * are another framing's business.
 */
export function jsonLineShare(sample: Sample, test: (o: Record<string, unknown>) => boolean, maxLines = 10): { seen: number; share: number } {
  let seen = 0;
  let hits = 0;
  for (const l of sample.lines.slice(0, maxLines)) {
    if (!l.startsWith('{')) continue;
    seen++;
    try {
      const v: unknown = JSON.parse(l);
      if (v && typeof v === 'object' && !Array.isArray(v) && test(v as Record<string, unknown>)) hits++;
    } catch {
      /* a cut or multi-line record: a miss */
    }
  }
  return { seen, share: seen === 0 ? 0 : hits / seen };
}
