import { strict as assert } from 'node:assert';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { withTempDir } from '../../test-support/index.js';
import { hardening } from './analysis.js';
import { syntheticResult } from './fixture.js';
import { REPORT_FILE, renderReport, writeReport } from './markdown.js';
import type { LabResult } from './schema.js';

const links = (md: string): string[] => [...md.matchAll(/\]\(([^)]+)\)/g)].map((m) => m[1]!);
const section = (md: string, heading: string): string => md.split(/^## /m).find((s) => s.startsWith(heading)) ?? '';

describe('lab Markdown report', () => {
  it('writes lab-report.md and its charts; every link points at a file written beside it and every chart is linked', async () => {
    await withTempDir(async (dir) => {
      const out = join(dir, 'nested', 'report');
      const paths = await writeReport(syntheticResult(), out);
      assert.equal(basename(paths[0]!), REPORT_FILE);
      for (const p of paths) assert.ok(existsSync(p), p);
      assert.ok(paths.every((p) => dirname(p) === out));
      assert.deepEqual(readdirSync(out).sort(), paths.map((p) => basename(p)).sort());
      const md = readFileSync(paths[0]!, 'utf8');
      const targets = links(md);
      for (const t of targets) assert.ok(existsSync(join(out, t)), `broken link ${t}`);
      assert.deepEqual(new Set(targets), new Set(paths.slice(1).map((p) => basename(p))));
      assert.ok(readFileSync(join(out, targets[0]!), 'utf8').startsWith('<svg'));
    });
  });

  it('states every floor with PASS/FAIL and the measured values, and flips with the numbers', () => {
    const ok = section(renderReport(syntheticResult({ unprotectedR2: 0.81, protectedR2: 0.52 }), []), 'Floors');
    assert.match(ok, /\*\*PASS\*\* protected BACE surrogate R2 at least 0\.20 below the unprotected one: unprotected 0\.810, protected before block 0\.520, gap 0\.290/);
    assert.match(ok, /\*\*PASS\*\* every extraction and Sybil attack alerted before 5000 queries: latest first alert at 1200 queries/);
    const bad = section(renderReport(syntheticResult({ unprotectedR2: 0.81, protectedR2: 0.7, falsePositives: 2, alertAt: 7000 }), []), 'Floors');
    assert.match(bad, /\*\*FAIL\*\* protected BACE .*gap 0\.110/);
    assert.match(bad, /\*\*FAIL\*\* at most 0 false-positive alerts on benign traffic: 2 false-positive alerts/);
    assert.match(bad, /\*\*FAIL\*\* every extraction/);
    // Each failing run is listed.
    assert.equal((bad.match(/^ {2}- .* first alert at 7000 queries/gm) ?? []).length, syntheticResult().attacks.length);
  });

  it('each table has its one-sentence explanation and the numbers of the result', () => {
    const r = syntheticResult();
    const md = renderReport(r, []);
    for (const h of ['Victims', 'Surrogate fidelity', 'Detection points', 'Membership inference', 'Benign traffic']) {
      const s = section(md, h);
      const lines = s.split('\n');
      assert.ok(lines[2] && /\.\)?$/.test(lines[2]) && !lines[2].startsWith('|'), `${h}: no sentence`);
      assert.ok(lines.some((l) => l.startsWith('|---')), `${h}: no table`);
    }
    assert.match(section(md, 'Victims'), new RegExp(`\\| bace-pic50 \\| r2 \\| ${r.victims[0]!.value.toFixed(3)} \\|`));
  });

  it('derives where hardening helps from the numbers, not from policy names', () => {
    const r = syntheticResult();
    const md = section(renderReport(r, []), 'Where hardening helps');
    const h = hardening(r);
    const rounded = md.split('### ').find((s) => s.startsWith('rounded'))!;
    // In the fixture rounding hurts only the confidence-using active learner.
    assert.match(rounded, /lowered fidelity by at least 0\.05 in 1 of 4 attack runs/);
    assert.match(rounded, /helps: extract-active on bace-pic50: R² 0\.868 → 0\.579 \(-0\.289\) at 5000 queries/);
    assert.match(rounded, /does not help: extract-random on bace-pic50/);
    assert.match(md, /Hardening cost the least-confident strategy most and the random strategy least/);
    assert.equal(h.strategies.find((s) => s.victim === 'bace-pic50')!.strategy, 'least-confident');

    // Make rounding and label-only hurt the random learner instead: the conclusions follow.
    const flipped: LabResult = structuredClone(r);
    for (const a of flipped.attacks) {
      if (!['rounded', 'label-only'].includes(a.policy) || a.victim !== 'bace-pic50') continue;
      const source = r.attacks.find((b) => b.name === a.name && b.victim === a.victim && b.policy === 'full')!;
      a.fidelity = source.fidelity.map((f) => ({ ...f, r2: a.strategy === 'random' ? f.r2! - 0.3 : f.r2 }));
    }
    const md2 = section(renderReport(flipped, []), 'Where hardening helps');
    const rounded2 = md2.split('### ').find((s) => s.startsWith('rounded'))!;
    assert.match(rounded2, /lowered fidelity by at least 0\.05 in 2 of 4 attack runs/);
    assert.match(rounded2, /helps: extract-random on bace-pic50/);
    assert.match(rounded2, /does not help: extract-active on bace-pic50: R² 0\.868 → 0\.868 \(\+0\.000\)/);
    assert.match(md2, /Hardening cost the random strategy most and the least-confident strategy least/);
  });

  it('blocking shows up as the end-of-run effect, label-only as the membership effect', () => {
    const md = section(renderReport(syntheticResult(), []), 'Where hardening helps');
    const block = md.split('### ').find((s) => s.startsWith('inline-block'))!;
    assert.match(block, /in 4 of 4 attack runs/);
    assert.match(block, /\(\+0\.000\) at 2000 queries; at the end 0\.771 → 0\.589 \(-0\.182\)/);
    const labelOnly = md.split('### ').find((s) => s.startsWith('label-only'))!;
    assert.match(labelOnly, /advantage over chance by at least 0\.05 for 2 of 2 attacks/);
    assert.match(labelOnly, /confidence-threshold on bace-pic50: AUC 0\.680 → 0\.520/);
  });

  it('escapes names: no raw HTML or link syntax from the result reaches the Markdown', () => {
    const md = renderReport(syntheticResult({ roundedName: '<img src=x onerror=alert(1)>[x](javascript:alert(1))|' }), []);
    assert.ok(!/(?<!\\)<img/.test(md), 'unescaped <img');
    assert.ok(!/(?<!\\)\]\(javascript/.test(md), 'unescaped link');
    assert.match(md, /\\<img src=x onerror=alert\\\(1\\\)\\>\\\[x\\\]\\\(javascript:alert\\\(1\\\)\\\)\\\|/);
    // Table rows keep their column count despite the pipe in the name.
    const row = section(md, 'Benign traffic').split('\n').find((l) => l.includes('img'))!;
    assert.equal(row.split(/(?<!\\)\|/).length - 2, 4);
  });
});
