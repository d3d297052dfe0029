/** The condition grammar (spec: rules "Condition"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { checkIdentifiers, compileCondition, ConditionError, parseCondition } from './condition.js';

type Ev = Set<string>;
function evalCond(text: string, ids: string[], truthy: string[]): boolean {
  const tree = parseCondition(text);
  assert.deepEqual(checkIdentifiers(tree, ids), []);
  const fns = new Map(ids.map((n) => [n, (e: Ev) => e.has(n)] as const));
  return compileCondition(tree, fns)(new Set(truthy));
}

describe('condition grammar', () => {
  const ids = ['selection1', 'selection2', 'keywords1', 'keywords2', 'filter1', 'filter2', '_hidden'];
  it('and / or / not with precedence or < and < not', () => {
    assert.equal(evalCond('keywords1 or keywords2', ids, ['keywords2']), true);
    assert.equal(evalCond('selection1 or keywords1 and keywords2', ids, ['selection1']), true);
    assert.equal(evalCond('selection1 and keywords1 or keywords2', ids, ['keywords2']), true);
    assert.equal(evalCond('not selection1 and keywords1', ids, ['keywords1']), true);
    assert.equal(evalCond('not selection1 and keywords1', ids, ['selection1', 'keywords1']), false);
    assert.equal(evalCond('not not selection1', ids, ['selection1']), true);
  });
  it('brackets', () => {
    assert.equal(evalCond('selection1 and (keywords1 or keywords2)', ids, ['selection1', 'keywords2']), true);
    assert.equal(evalCond('selection1 and (keywords1 or keywords2)', ids, ['keywords2']), false);
    assert.equal(evalCond('not (selection1 or selection2)', ids, []), true);
  });
  it('1 of / all of with patterns', () => {
    assert.equal(evalCond('1 of selection*', ids, ['selection2']), true);
    assert.equal(evalCond('all of selection*', ids, ['selection2']), false);
    assert.equal(evalCond('all of selection*', ids, ['selection1', 'selection2']), true);
    assert.equal(evalCond('1 of selection* and not 1 of filter*', ids, ['selection1', 'filter2']), false);
    assert.equal(evalCond('1 of selection* and keywords1', ids, ['selection1', 'keywords1']), true);
    assert.equal(evalCond('2 of *1', ids, ['selection1', 'filter1']), true);
    assert.equal(evalCond('2 of *1', ids, ['selection1']), false);
    assert.equal(evalCond('1 of sel*ion2', ids, ['selection2']), true);
  });
  it('1 of them / all of them exclude _-prefixed identifiers', () => {
    assert.equal(evalCond('1 of them', ids, ['_hidden']), false);
    assert.equal(evalCond('all of them', ids, ids.filter((n) => n !== '_hidden')), true);
    assert.equal(evalCond('1 of _*', ids, ['_hidden']), true);
  });
  it('keywords are case-insensitive', () => {
    assert.equal(evalCond('selection1 AND NOT filter1', ids, ['selection1']), true);
    assert.equal(evalCond('ALL OF selection*', ids, ['selection1', 'selection2']), true);
  });
  it('syntax errors carry the offset', () => {
    const cases: [string, number][] = [
      ['selection1 and', 14],
      ['(selection1', 11],
      ['selection1 )', 11],
      ['selection1 selection2', 11],
      ['selection1 | count() > 5', 11],
      ['1 of', 4],
      ['0 of them', 0],
    ];
    for (const [text, offset] of cases) {
      assert.throws(
        () => parseCondition(text),
        (e: unknown) => e instanceof ConditionError && e.offset === offset,
        text,
      );
    }
  });
  it('unknown identifiers and empty patterns are reported with offsets', () => {
    const tree = parseCondition('selection1 and not nothere or 1 of zz*');
    assert.deepEqual(checkIdentifiers(tree, ids), [
      { message: "unknown search identifier 'nothere'", offset: 19 },
      { message: "'zz*' matches no search identifier", offset: 35 },
    ]);
  });
});
