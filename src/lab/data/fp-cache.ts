/**
 * An optional on-disk cache of Morgan fingerprints by canonical SMILES, so
 * repeated lab runs skip RDKit (~0.5 ms a molecule, ~30 s of CPU for the full
 * pool). The file names the RDKit version and fingerprint kind it was made
 * with; a different version, a truncated or foreign file reads as empty and
 * is rewritten, never trusted.
 *
 * Layout: a UTF-8 header line, then per entry a uint16 little-endian SMILES
 * byte length, the SMILES bytes and the packed fingerprint bytes.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';

const MAGIC = 'mirrorwatch-fingerprints v1';

export function cacheHeader(rdkitVersion: string, kind: string, bytes: number): string {
  return `${MAGIC} rdkit=${rdkitVersion} kind=${kind} bytes=${bytes}\n`;
}

/** Entries of the cache file, or an empty map when it is missing, foreign or damaged. */
export function readFingerprintCache(path: string, header: string, bytes: number): Map<string, Uint8Array> {
  const out = new Map<string, Uint8Array>();
  let buf: Buffer;
  try {
    buf = readFileSync(path);
  } catch {
    return out;
  }
  const head = Buffer.from(header, 'utf8');
  if (buf.length < head.length || !buf.subarray(0, head.length).equals(head)) return out;
  let p = head.length;
  while (p < buf.length) {
    if (p + 2 > buf.length) return new Map();
    const len = buf.readUInt16LE(p);
    p += 2;
    if (p + len + bytes > buf.length) return new Map();
    const smiles = buf.toString('utf8', p, p + len);
    p += len;
    out.set(smiles, new Uint8Array(buf.subarray(p, p + bytes)));
    p += bytes;
  }
  return out;
}

/** Writes every entry (atomically: a temporary file renamed over the old one). */
export function writeFingerprintCache(path: string, header: string, entries: ReadonlyMap<string, Uint8Array>): void {
  const parts: Buffer[] = [Buffer.from(header, 'utf8')];
  for (const [smiles, fp] of entries) {
    const s = Buffer.from(smiles, 'utf8');
    if (s.length > 0xffff) continue;
    const len = Buffer.alloc(2);
    len.writeUInt16LE(s.length);
    parts.push(len, s, Buffer.from(fp.buffer, fp.byteOffset, fp.byteLength));
  }
  mkdirSync(dirname(path), { recursive: true });
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, Buffer.concat(parts));
  renameSync(tmp, path);
}
