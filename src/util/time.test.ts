import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { toIsoUtc } from './time.js';

it('normalises the timestamp forms sources write to ISO UTC', () => {
  assert.equal(toIsoUtc('2026-02-03T09:12:44Z'), '2026-02-03T09:12:44.000Z');
  assert.equal(toIsoUtc('2026-02-03T10:15:02.123+01:00'), '2026-02-03T09:15:02.123Z');
  assert.equal(toIsoUtc('2021-04-10T00:23:26.0789529Z'), '2021-04-10T00:23:26.078Z');
  assert.equal(toIsoUtc('[06/Feb/2019:00:00:38 +0000]'), '2019-02-06T00:00:38.000Z');
  assert.equal(toIsoUtc('06/Feb/2019:01:00:38 +0100'), '2019-02-06T00:00:38.000Z');
  assert.equal(toIsoUtc('2026-02-10 09:00:00'), '2026-02-10T09:00:00.000Z');
  assert.equal(toIsoUtc(1_770_109_964), '2026-02-03T09:12:44.000Z');
  assert.equal(toIsoUtc(1_770_109_964_123), '2026-02-03T09:12:44.123Z');
});

it('refuses impossible and malformed timestamps instead of moving them in time', () => {
  for (const bad of ['2026-02-31T00:00:00Z', '2026-13-01T00:00:00Z', '2026-02-10T24:00:00Z', '[31/Feb/2026:10:00:00 +0000]', '[10/Foo/2026:10:00:00 +0000]', 'yesterday', '', null, {}, Number.NaN]) {
    assert.equal(toIsoUtc(bad), null, String(bad));
  }
  assert.equal(toIsoUtc('2024-02-29T00:00:00Z'), '2024-02-29T00:00:00.000Z');
  assert.equal(toIsoUtc('2026-02-29T00:00:00Z'), null);
});
