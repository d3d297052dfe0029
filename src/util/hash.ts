import { createHash } from 'node:crypto';

export function sha256Hex(text: string | Uint8Array): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * Stable event id: 128 bits of sha256 over the source format and the hashes of
 * the original records. Content-addressed, so re-ingesting a renamed or
 * rotated copy of a file adds nothing.
 */
export function eventId(format: string, recordHashes: readonly string[]): string {
  return createHash('sha256').update(format).update('\0').update(recordHashes.join(',')).digest('hex').slice(0, 32);
}

/** Short stable hash for model inputs (instance identity for non-molecular inputs). */
export function shortHash(text: string): string {
  return createHash('sha256').update(text).digest('hex').slice(0, 24);
}
