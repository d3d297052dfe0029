/** Regex safety (docs/sigma.md "Regex safety"). */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileSafeRegex, MAX_REGEX_INPUT } from './regex.js';

const timed = (f: () => void): number => {
  const t = performance.now();
  f();
  return performance.now() - t;
};

describe('compileSafeRegex', () => {
  it('runs classic catastrophic patterns on the linear engine, fast', () => {
    for (const p of ['(a+)+$', '(a|a)*$', '(a|aa)+$', '^(\\w+\\s?)*$', '\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+.*\\+']) {
      const re = compileSafeRegex(p);
      assert.equal(re.engine, 'linear', p);
      const ms = timed(() => re.test('a'.repeat(30_000) + '+'.repeat(2_000) + '!'));
      assert.ok(ms < 500, `${p}: ${ms} ms`);
    }
  });
  it('case-insensitive expressions stay on the linear engine', () => {
    const re = compileSafeRegex('^c:\\\\users\\\\[^\\\\]+\\\\ntuser\\.dat$', { i: true });
    assert.equal(re.engine, 'linear');
    assert.ok(re.test('C:\\Users\\Bob\\NTUSER.DAT'));
    assert.ok(!re.test('C:\\Users\\Bob\\x\\NTUSER.DAT'));
    const inline = compileSafeRegex('(?i)[a-c]x\\d{2}');
    assert.ok(inline.test('BX12'));
  });
  it('falls back to the bounded backtracking engine only without dangerous nesting', () => {
    const big = compileSafeRegex('(.){200,}');
    assert.equal(big.engine, 'bounded');
    assert.ok(big.test('x'.repeat(300)));
    assert.ok(!big.test('x'.repeat(100)));
    assert.equal(compileSafeRegex('https?://(?:0[0-9]{1,11}\\.){3}0[0-9]{1,11}').engine, 'bounded');
    assert.throws(() => compileSafeRegex('(?:a+){200}'), /unbounded quantifier/);
    assert.throws(() => compileSafeRegex('(ab?){300,}'), /variable quantifier/);
    assert.throws(() => compileSafeRegex('(x|y){3,200}'), /alternatives/);
  });
  it('the bounded engine never sees more than MAX_REGEX_INPUT characters', () => {
    const re = compileSafeRegex('(.){200,}z');
    assert.ok(!re.test('x'.repeat(MAX_REGEX_INPUT) + 'z'));
  });
  it('refuses backreferences, lookaround and invalid syntax', () => {
    assert.throws(() => compileSafeRegex('(a)\\1'), /backreferences/);
    assert.throws(() => compileSafeRegex('a(?=b)'), /lookaround/);
    assert.throws(() => compileSafeRegex('(?<!a)b'), /lookaround/);
    assert.throws(() => compileSafeRegex('(a'));
  });
});
