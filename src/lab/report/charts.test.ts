import { strict as assert } from 'node:assert';
import { existsSync } from 'node:fs';
import { after, before, describe, it } from 'node:test';
import { chromium, type Browser, type Page } from 'playwright-core';
import { fidelityChart, labCharts, membershipChart } from './charts.js';
import { syntheticResult } from './fixture.js';

const CHROMIUM = process.env['MIRRORWATCH_CHROMIUM'] ?? '/usr/bin/chromium';
const EVIL = '<script>alert(1)</script>';

// The browser's DOM, typed as far as the test reads it (the project's lib has no DOM types).
interface XmlNode {
  nodeName: string;
  textContent: string | null;
  attributes: ArrayLike<{ name: string }>;
}
interface XmlDoc {
  documentElement: XmlNode;
  getElementsByTagName(name: string): ArrayLike<XmlNode>;
}
type Browserish = { DOMParser: new () => { parseFromString(text: string, type: string): XmlDoc } };

interface Parsed {
  error: string | null;
  root: string;
  texts: string[];
  scripts: number;
  handlers: number;
}

describe('lab SVG charts', () => {
  let browser: Browser;
  let page: Page;

  before(async () => {
    assert.ok(existsSync(CHROMIUM), `Chromium is required at ${CHROMIUM} (apt-get install chromium)`);
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
    page = await browser.newPage();
  });

  after(async () => {
    await browser?.close();
  });

  /** Chromium's XML parser: a parsererror element means the SVG is not well-formed. */
  const parse = (svg: string): Promise<Parsed> =>
    page.evaluate((text) => {
      const doc = new (globalThis as unknown as Browserish).DOMParser().parseFromString(text, 'image/svg+xml');
      const all = Array.from(doc.getElementsByTagName('*'));
      return {
        error: Array.from(doc.getElementsByTagName('parsererror'))[0]?.textContent ?? null,
        root: doc.documentElement.nodeName,
        texts: Array.from(doc.getElementsByTagName('text')).map((t) => t.textContent ?? ''),
        scripts: doc.getElementsByTagName('script').length,
        handlers: all.filter((e) => Array.from(e.attributes).some((a) => a.name.toLowerCase().startsWith('on'))).length,
      };
    }, svg);

  it('every chart is a well-formed SVG document with the policies in its legend', async () => {
    // The parser does catch broken markup.
    assert.notEqual((await parse('<svg xmlns="http://www.w3.org/2000/svg"><g></svg>')).error, null);
    const r = syntheticResult();
    const charts = labCharts(r);
    // One fidelity chart per (victim, attack) plus the membership bars.
    assert.equal(charts.length, new Set(r.attacks.map((a) => `${a.victim}/${a.name}`)).size + 1);
    for (const c of charts) {
      assert.ok(c.svg.startsWith('<svg'), c.file);
      assert.match(c.file, /^[a-z0-9-]+\.svg$/);
      const p = await parse(c.svg);
      assert.equal(p.error, null, `${c.file}: ${p.error}`);
      assert.equal(p.root, 'svg');
      if (c.file.startsWith('fidelity-')) for (const pol of r.policies) assert.ok(p.texts.includes(pol.name), `${c.file} lacks ${pol.name}`);
    }
  });

  it('an attacker-chosen policy name stays text: escaped in the SVG source, no script element or handler', async () => {
    const r = syntheticResult({ roundedName: EVIL });
    for (const svg of [fidelityChart(r.attacks.filter((a) => a.name === 'extract-active' && a.victim === 'bace-pic50')), membershipChart(r)]) {
      assert.ok(!svg.includes('<script'), 'raw <script in the SVG');
      assert.ok(svg.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
      const p = await parse(svg);
      assert.equal(p.error, null);
      assert.equal(p.scripts, 0);
      assert.equal(p.handlers, 0);
      assert.ok(p.texts.includes(EVIL), 'the name is shown as text');
    }
  });

  it('marks first alert, incident and block where they happened and nothing where they did not', async () => {
    const r = syntheticResult();
    const runs = r.attacks.filter((a) => a.name === 'extract-random' && a.victim === 'bace-pic50');
    const marked = (await parse(fidelityChart(runs))).texts;
    // Every policy alerted and opened an incident; only inline-block blocked.
    assert.equal(marked.filter((t) => t === 'A').length, runs.length);
    assert.equal(marked.filter((t) => t === 'I').length, runs.length);
    assert.equal(marked.filter((t) => t === 'B').length, 1);
    const quiet = syntheticResult({ alertAt: null }).attacks.filter((a) => a.name === 'extract-random' && a.victim === 'bace-pic50' && a.policy !== 'inline-block');
    const none = (await parse(fidelityChart(quiet))).texts;
    assert.deepEqual(none.filter((t) => t === 'A' || t === 'I' || t === 'B'), []);
  });

  it('is deterministic: the same result gives the same bytes, whatever was drawn before', () => {
    const first = labCharts(syntheticResult());
    membershipChart(syntheticResult({ roundedName: 'other' }));
    const second = labCharts(syntheticResult());
    assert.deepEqual(second, first);
    assert.ok(!/\bzr\d+-/.test(first.map((c) => c.svg).join('')), 'process-wide zrender ids left in the SVG');
  });

  it('plots R2 for the regressor and agreement for the classifier', async () => {
    const charts = labCharts(syntheticResult());
    const reg = charts.find((c) => c.file.includes('bace-pic50'))!;
    const cls = charts.find((c) => c.file.includes('tox21'))!;
    assert.ok((await parse(reg.svg)).texts.includes('surrogate R²'));
    assert.ok((await parse(cls.svg)).texts.includes('label agreement'));
  });
});
