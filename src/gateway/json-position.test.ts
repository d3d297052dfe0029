import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import fc from 'fast-check';
import { jsonErrorPosition } from './json-position.js';

it('finds the first offending character of invalid JSON', () => {
  assert.equal(jsonErrorPosition('{"instances": [[1, 2,, 3]]}')?.position, 21);
  assert.deepEqual(jsonErrorPosition('{\n  "a": tru\n}'), { position: 12, line: 2, column: 11 });
  assert.equal(jsonErrorPosition('{"a": 1')?.position, 7);
  assert.equal(jsonErrorPosition('[1] x')?.position, 4);
  assert.equal(jsonErrorPosition('"\\u12G4"')?.position, 5);
  assert.equal(jsonErrorPosition('01')?.position, 1);
});

it('accepts exactly what JSON.parse accepts (property)', () => {
  fc.assert(
    fc.property(fc.json(), (j) => assert.equal(jsonErrorPosition(j), null)),
    { numRuns: 300 },
  );
  fc.assert(
    fc.property(fc.string(), (s) => {
      let ok = true;
      try {
        JSON.parse(s);
      } catch {
        ok = false;
      }
      assert.equal(jsonErrorPosition(s) === null, ok, s);
    }),
    { numRuns: 500 },
  );
});
