import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { normalQuantile, shapiroWilkW } from './shapiro.js';

const range = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

describe('Shapiro-Wilk W', () => {
  it('matches SciPy 1.17 scipy.stats.shapiro on reference samples', () => {
    // Expected values computed with scipy.stats.shapiro(x).statistic on the same formulas.
    const cases: Array<[string, number[], number]> = [
      ['squares50', range(50).map((i) => i * i), 0.898124799573951],
      ['sin200', range(200).map((i) => Math.sin(i * 1.3)), 0.8974635613296641],
      ['log30', range(30).map((i) => Math.log(i)), 0.8762627939931354],
      ['small5', [1, 2, 2.5, 4, 9], 0.8451777786197721],
      ['n3', [1, 2, 4], 0.9642857142857142],
      ['normalq400', range(400).map((i) => normalQuantile((i - 0.5) / 400)), 0.999878491130037],
      ['bimodal100', Array.from({ length: 100 }, (_, i) => (i % 2) + 0.01 * Math.sin(i)), 0.648875991373211],
    ];
    for (const [name, x, w] of cases) assert.ok(Math.abs(shapiroWilkW(x) - w) < 1e-4, `${name}: ${shapiroWilkW(x)} vs ${w}`);
  });

  it('is undefined for too few or constant values', () => {
    assert.ok(Number.isNaN(shapiroWilkW([1, 2])));
    assert.ok(Number.isNaN(shapiroWilkW([3, 3, 3, 3])));
  });

  it('inverts the normal CDF', () => {
    assert.ok(Math.abs(normalQuantile(0.975) - 1.959964) < 1e-5);
    assert.ok(Math.abs(normalQuantile(0.01) + 2.326348) < 1e-5);
    assert.equal(normalQuantile(0.5), 0);
  });
});
