import { createHash } from 'node:crypto';
import * as crypto from 'node:crypto';

// One-shot hashing (Node 20.12 and later) skips the Hash object: ~1.5 us less
// per 3 KB record and ~0.5 us per short input, measured; ingest hashes every
// record and every event id. Older Node 20 releases take the streaming path.
const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex') => string }).hash;
const oneShotBytes = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'buffer') => Buffer }).hash;

export function sha256Hex(text: string | Uint8Array): string {
  return oneShot ? oneShot('sha256', text, 'hex') : createHash('sha256').update(text).digest('hex');
}

/** sha256 as bytes (the gateway hashes every presented API key). */
export function sha256Bytes(text: string | Uint8Array): Buffer {
  return oneShotBytes ? oneShotBytes('sha256', text, 'buffer') : createHash('sha256').update(text).digest();
}

/**
 * Stable event id: 128 bits of sha256 over the source format and the hashes of
 * the original records. Content-addressed, so re-ingesting a renamed or
 * rotated copy of a file adds nothing.
 */
export function eventId(format: string, recordHashes: readonly string[]): string {
  return sha256Hex(`${format}\0${recordHashes.join(',')}`).slice(0, 32);
}

/** Short stable hash for model inputs (instance identity for non-molecular inputs). */
export function shortHash(text: string): string {
  return sha256Hex(text).slice(0, 24);
}
