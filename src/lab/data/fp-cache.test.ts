import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheHeader, readFingerprintCache, writeFingerprintCache } from './fp-cache.js';

test('fingerprint cache round-trips, and a foreign, truncated or other-version file reads as empty', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mw-fpcache-'));
  try {
    const path = join(dir, 'sub', 'fps.bin');
    const header = cacheHeader('2025.03.4', 'morgan-r2-2048', 4);
    assert.equal(readFingerprintCache(path, header, 4).size, 0, 'missing file');
    const entries = new Map([
      ['CCO', Uint8Array.from([1, 2, 3, 4])],
      ['c1ccccc1N', Uint8Array.from([0, 255, 0, 9])],
      ['Ç', Uint8Array.from([7, 7, 7, 7])],
    ]);
    writeFingerprintCache(path, header, entries);
    assert.deepEqual(readFingerprintCache(path, header, 4), entries);
    assert.equal(readFingerprintCache(path, cacheHeader('2024.09.1', 'morgan-r2-2048', 4), 4).size, 0, 'other RDKit version');
    const whole = readFileSync(path);
    writeFileSync(path, whole.subarray(0, whole.length - 1));
    assert.equal(readFingerprintCache(path, header, 4).size, 0, 'truncated');
    writeFileSync(path, 'not a cache');
    assert.equal(readFingerprintCache(path, header, 4).size, 0, 'foreign');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
