import { strict as assert } from 'node:assert';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { eventId, sha256Hex, shortHash } from './hash.js';

const streamed = (parts: string[]): string => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe('hashes', () => {
  // Event ids are the store's idempotence key: a change of hashing path must not change one id.
  it('gives the digests of the streaming computation, for ASCII, multi-byte and empty input', () => {
    for (const text of ['', 'CCO', '{"UserId":"jdoe"}', 'naïve 名前 \u{1F600}', 'x'.repeat(5000)]) {
      assert.equal(sha256Hex(text), streamed([text]));
      assert.equal(sha256Hex(new TextEncoder().encode(text)), streamed([text]));
      assert.equal(shortHash(text), streamed([text]).slice(0, 24));
    }
    const hashes = [sha256Hex('a'), sha256Hex('b')];
    assert.equal(eventId('ml-platform-logs', hashes), streamed(['ml-platform-logs', '\0', hashes.join(',')]).slice(0, 32));
    assert.equal(sha256Hex('abc'), 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});
