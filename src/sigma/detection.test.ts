/** Detection semantics and every value modifier, mostly from the spec's own examples. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { loadRuleText, match, type CompiledRule, type SigmaEvent, type SigmaProblem } from './index.js';

function load(detection: string, opts: Parameters<typeof loadRuleText>[2] = {}): { rule: CompiledRule | undefined; problems: SigmaProblem[] } {
  const text = `title: t\nlogsource:\n    product: test\ndetection:\n${detection.replace(/^/gm, '    ')}\n`;
  const r = loadRuleText(text, 'r.yml', opts);
  return { rule: r.documents[0] as CompiledRule | undefined, problems: r.problems };
}
function rule(detection: string, opts: Parameters<typeof loadRuleText>[2] = {}): CompiledRule {
  const { rule: r, problems } = load(detection, opts);
  assert.deepEqual(problems, []);
  return r!;
}
const m = (r: CompiledRule, e: SigmaEvent): boolean => match(r, e);

describe('maps, lists, keywords', () => {
  it('map members AND, list values OR (spec "Maps")', () => {
    const r = rule('selection:\n    EventLog: Security\n    EventID:\n        - 517\n        - 1102\ncondition: selection');
    assert.ok(m(r, { EventLog: 'Security', EventID: 517 }));
    assert.ok(m(r, { EventLog: 'security', EventID: '1102' }));
    assert.ok(!m(r, { EventLog: 'Security', EventID: 4624 }));
    assert.ok(!m(r, { EventID: 517 }));
  });
  it('a list of maps ORs the maps (spec "Lists")', () => {
    const r = rule("selection:\n    - Image|endswith: '\\\\example.exe'\n    - Description|contains: 'Test executable'\ncondition: selection");
    assert.ok(m(r, { Image: 'C:\\x\\example.exe' }));
    assert.ok(m(r, { Description: 'a Test Executable here' }));
    assert.ok(!m(r, { Image: 'C:\\x\\other.exe' }));
  });
  it('keyword lists match anywhere in the event values, case-insensitively', () => {
    const r = rule("keywords:\n    - 'EVILSERVICE'\n    - 'svchost.exe -n evil'\ncondition: keywords");
    assert.ok(m(r, { msg: 'started evilservice now' }));
    assert.ok(m(r, { nested: { deep: ['x', 'C:\\svchost.exe -n evil'] } }));
    assert.ok(!m(r, { msg: 'benign' }));
  });
  it("keywords with '|all' need every value (spec \"Keywords search\")", () => {
    const r = rule("keywords_cmdlet:\n    '|all':\n        - 'OabVirtualDirectory'\n        - ' -ExternalUrl '\ncondition: keywords_cmdlet");
    assert.ok(m(r, { a: 'Set-OabVirtualDirectory -ExternalUrl http://x' }));
    assert.ok(!m(r, { a: 'Set-OabVirtualDirectory' }));
  });
  it('nested field paths with dot notation', () => {
    const r = rule('sel:\n    principal.canonical: alice\n    http.response.status_code: 500\ncondition: sel');
    assert.ok(m(r, { principal: { canonical: 'Alice' }, http: { response: { status_code: 500 } } }));
    assert.ok(m(r, { principal: { canonical: 'alice' }, 'http.response.status_code': 500 }));
    assert.ok(!m(r, { principal: { canonical: 'bob' }, http: { response: { status_code: 500 } } }));
  });
  it('array event values match when any element does', () => {
    const r = rule('sel:\n    tags: secret\ncondition: sel');
    assert.ok(m(r, { tags: ['public', 'SECRET'] }));
  });
});

describe('wildcards and escapes (spec "String Wildcard", "Escape Character")', () => {
  it('* and ? wildcards', () => {
    const r = rule("sel:\n    Image: 'prog?.exe'\n    Name: 'antivirus_V*.exe'\ncondition: sel");
    assert.ok(m(r, { Image: 'progA.exe', Name: 'antivirus_V21.2.1.exe' }));
    assert.ok(!m(r, { Image: 'progAB.exe', Name: 'antivirus_V1.exe' }));
  });
  it('escaped wildcards are literal; backslashes follow the spec table', () => {
    const star = rule("sel:\n    a: 'x\\*y'\ncondition: sel");
    assert.ok(m(star, { a: 'x*y' }));
    assert.ok(!m(star, { a: 'xzzy' }));
    const bsWild = rule("sel:\n    a: 'C:\\\\*'\ncondition: sel");
    assert.ok(m(bsWild, { a: 'C:\\anything' }));
    const three = rule("sel:\n    a: 'C:\\\\\\*'\ncondition: sel");
    assert.ok(m(three, { a: 'C:\\*' }));
    assert.ok(!m(three, { a: 'C:\\x' }));
    const plain = rule("sel:\n    a: 'C:\\Windows\\System32'\ncondition: sel");
    assert.ok(m(plain, { a: 'c:\\windows\\system32' }));
    const four = rule("sel:\n    a: '\\\\\\\\server'\ncondition: sel");
    assert.ok(m(four, { a: '\\\\server' }));
  });
});

describe('null, empty and existence (spec "Special Field Values", "Field Existence")', () => {
  it('null matches an absent or null field; empty matches only the empty string', () => {
    const r = rule('selection:\n    EventID: 4738\nfilter:\n    PasswordLastSet: null\ncondition: selection and not filter');
    assert.ok(m(r, { EventID: 4738, PasswordLastSet: '2024-01-01' }));
    assert.ok(!m(r, { EventID: 4738 }));
    assert.ok(!m(r, { EventID: 4738, PasswordLastSet: null }));
    const e = rule("sel:\n    FieldB: ''\ncondition: sel");
    assert.ok(m(e, { FieldB: '' }));
    assert.ok(!m(e, { FieldB: null }));
    assert.ok(!m(e, {}));
  });
  it('null inside a list is a load error', () => {
    const { problems } = load("sel:\n    FieldB:\n        - ''\n        - null\ncondition: sel");
    assert.equal(problems.length, 1);
    assert.match(problems[0]!.message, /null cannot be part of a list/);
  });
  it('exists true and false', () => {
    const r = rule('sel:\n    EventID: 4738\n    PasswordLastSet|exists: true\ncondition: sel');
    assert.ok(m(r, { EventID: 4738, PasswordLastSet: null }));
    assert.ok(!m(r, { EventID: 4738 }));
    const n = rule('sel:\n    x|exists: false\ncondition: sel');
    assert.ok(m(n, {}));
    assert.ok(!m(n, { x: '' }));
  });
});

describe('generic modifiers', () => {
  it('contains, startswith, endswith', () => {
    const r = rule("sel:\n    a|contains: mid\n    b|startswith: adm\n    c|endswith: '\\cmd.exe'\ncondition: sel");
    assert.ok(m(r, { a: 'xxMIDxx', b: 'Admin', c: 'C:\\Windows\\CMD.EXE' }));
    assert.ok(!m(r, { a: 'xx', b: 'Admin', c: 'C:\\Windows\\CMD.EXE' }));
    assert.ok(!m(r, { a: 'mid', b: 'xadm', c: 'C:\\Windows\\CMD.EXE' }));
  });
  it('all turns the list into AND; one value with all is a load error', () => {
    const r = rule("sel:\n    CommandLine|contains|all:\n        - ' -a '\n        - ' -b '\ncondition: sel");
    assert.ok(m(r, { CommandLine: 'x -b -a y' }));
    assert.ok(!m(r, { CommandLine: 'x -a y' }));
    const { problems } = load("sel:\n    a|contains|all: 'x'\ncondition: sel");
    assert.equal(problems[0]?.code, 'MW_ERR_SIGMA_MODIFIER');
  });
  it('cased is case-sensitive', () => {
    const r = rule('sel:\n    a|cased: CamelCase\ncondition: sel');
    assert.ok(m(r, { a: 'CamelCase' }));
    assert.ok(!m(r, { a: 'camelcase' }));
  });
  it('neq: different from every value', () => {
    const r = rule('sel:\n    a|neq:\n        - x\n        - y\ncondition: sel');
    assert.ok(m(r, { a: 'z' }));
    assert.ok(!m(r, { a: 'X' }));
    assert.ok(!m(r, { a: 'y' }));
  });
});

describe('string modifiers', () => {
  it('windash covers -, /, en dash, em dash, horizontal bar', () => {
    const r = rule("sel:\n    CommandLine|windash|contains: ' -exec '\ncondition: sel");
    for (const d of ['-', '/', '\u2013', '\u2014', '\u2015']) assert.ok(m(r, { CommandLine: `x ${d}exec y` }), d);
    assert.ok(!m(r, { CommandLine: 'x +exec y' }));
  });
  it('re is case-sensitive; i, m, s flags', () => {
    const r = rule("sel:\n    a|re: '^ab.c$'\ncondition: sel");
    assert.ok(m(r, { a: 'abXc' }));
    assert.ok(!m(r, { a: 'ABXC' }));
    assert.ok(m(rule("sel:\n    a|re|i: '^ab[a-c]c$'\ncondition: sel"), { a: 'ABBC' }));
    assert.ok(m(rule("sel:\n    a|re|m: '^b$'\ncondition: sel"), { a: 'a\nb\nc' }));
    assert.ok(!m(rule("sel:\n    a|re: '^b$'\ncondition: sel"), { a: 'a\nb\nc' }));
    assert.ok(m(rule("sel:\n    a|re|s: 'a.b'\ncondition: sel"), { a: 'a\nb' }));
    assert.ok(!m(rule("sel:\n    a|re: 'a.b'\ncondition: sel"), { a: 'a\nb' }));
    assert.ok(m(rule("sel:\n    a|re: '(?i)^hello'\ncondition: sel"), { a: 'HeLLo world' }));
  });
  it('a regex flag without re is a load error', () => {
    assert.equal(load('sel:\n    a|i: x\ncondition: sel').problems[0]?.code, 'MW_ERR_SIGMA_MODIFIER');
  });
  it('base64 and base64offset', () => {
    const b = rule('sel:\n    a|base64: /bin/bash\ncondition: sel');
    assert.ok(m(b, { a: Buffer.from('/bin/bash').toString('base64') }));
    const o = rule('sel:\n    a|base64offset|contains: /bin/bash\ncondition: sel');
    for (const prefix of ['', 'x', 'xy', 'xyz']) {
      const enc = Buffer.from(`${prefix}/bin/bash -i`).toString('base64');
      assert.ok(m(o, { a: `echo ${enc} | base64 -d` }), prefix);
    }
    assert.ok(!m(o, { a: Buffer.from('/bin/zsh').toString('base64') }));
  });
  it('utf16le/wide, utf16be, utf16 then base64', () => {
    const w = rule('sel:\n    a|wide|base64offset|contains: ping\ncondition: sel');
    assert.ok(m(w, { a: Buffer.from('cmd /c ping 1.1.1.1', 'utf16le').toString('base64') }));
    const le = rule('sel:\n    a|utf16le|base64: cmd\ncondition: sel');
    assert.ok(m(le, { a: Buffer.from([0x63, 0, 0x6d, 0, 0x64, 0]).toString('base64') }));
    const be = rule('sel:\n    a|utf16be|base64: cmd\ncondition: sel');
    assert.ok(m(be, { a: Buffer.from([0, 0x63, 0, 0x6d, 0, 0x64]).toString('base64') }));
    const bom = rule('sel:\n    a|utf16|base64: cmd\ncondition: sel');
    assert.ok(m(bom, { a: Buffer.from([0xff, 0xfe, 0x63, 0, 0x6d, 0, 0x64, 0]).toString('base64') }));
  });
});

describe('numeric, time, cidr, expand, fieldref', () => {
  it('lt, lte, gt, gte on numbers and numeric strings', () => {
    const r = rule('sel:\n    a|gt: 10\n    b|lte: 5\ncondition: sel');
    assert.ok(m(r, { a: 11, b: '5' }));
    assert.ok(!m(r, { a: 10, b: 5 }));
    assert.ok(!m(r, { a: 'abc', b: 1 }));
    assert.ok(m(rule('sel:\n    a|gte: 3\ncondition: sel'), { a: 3 }));
    assert.ok(m(rule('sel:\n    a|lt: 3\ncondition: sel'), { a: 2.5 }));
    assert.equal(load('sel:\n    a|lt: abc\ncondition: sel').problems[0]?.code, 'MW_ERR_SIGMA_MODIFIER');
  });
  it('time parts, alone and with a comparison', () => {
    const t = '2024-03-10T22:15:00Z';
    assert.ok(m(rule('sel:\n    time|hour: 22\ncondition: sel'), { time: t }));
    assert.ok(m(rule('sel:\n    time|minute: 15\ncondition: sel'), { time: t }));
    assert.ok(m(rule('sel:\n    time|day: 10\ncondition: sel'), { time: t }));
    assert.ok(m(rule('sel:\n    time|month: 3\ncondition: sel'), { time: t }));
    assert.ok(m(rule('sel:\n    time|year: 2024\ncondition: sel'), { time: t }));
    assert.ok(m(rule('sel:\n    time|week: 10\ncondition: sel'), { time: t }));
    assert.ok(m(rule('sel:\n    time|hour|gte: 20\ncondition: sel'), { time: t }));
    assert.ok(!m(rule('sel:\n    time|hour|lt: 20\ncondition: sel'), { time: t }));
  });
  it('cidr for IPv4 and IPv6', () => {
    const r = rule('sel:\n    ip|cidr:\n        - 10.0.0.0/8\n        - 2001:db8::/32\ncondition: sel');
    assert.ok(m(r, { ip: '10.1.2.3' }));
    assert.ok(m(r, { ip: '2001:db8:0:1::5' }));
    assert.ok(!m(r, { ip: '11.0.0.1' }));
    assert.ok(!m(r, { ip: '2001:db9::1' }));
    assert.equal(load('sel:\n    ip|cidr: 10.0.0.0/33\ncondition: sel').problems[0]?.code, 'MW_ERR_SIGMA_MODIFIER');
  });
  it('expand takes placeholder values from the configuration; an unknown placeholder is a load error', () => {
    const r = rule("sel:\n    User|expand: '%Administrators%'\ncondition: sel", { placeholders: { Administrators: ['root', 'adm_*'] } });
    assert.ok(m(r, { User: 'adm_alice' }));
    assert.ok(m(r, { User: 'ROOT' }));
    assert.ok(!m(r, { User: 'alice' }));
    const lit = rule("sel:\n    a|expand: '\\%plain%x%'\ncondition: sel", { placeholders: { x: ['1'] } });
    assert.ok(m(lit, { a: '%plain1' }));
    const bad = load("sel:\n    User|expand: '%Servers%'\ncondition: sel");
    assert.equal(bad.problems[0]?.code, 'MW_ERR_SIGMA_PLACEHOLDER');
    assert.equal(bad.problems[0]?.line, 6);
  });
  it('fieldref compares two fields; with neq, different', () => {
    const r = rule('sel:\n    requester|fieldref: owner\ncondition: sel');
    assert.ok(m(r, { requester: 'Alice', owner: 'alice' }));
    assert.ok(!m(r, { requester: 'bob', owner: 'alice' }));
    assert.ok(!m(r, { requester: 'bob' }));
    const n = rule('sel:\n    team|fieldref|neq: modelTeam\ncondition: sel');
    assert.ok(m(n, { team: 'chem', modelTeam: 'bio' }));
    assert.ok(!m(n, { team: 'chem', modelTeam: 'chem' }));
  });
});

describe('load errors carry positions and are all reported at once', () => {
  it('unknown modifiers, bad regex and bad conditions in one rule', () => {
    const { rule: r, problems } = load("sel:\n    a|conatins: x\n    b|re: '(?=a)b'\n    c|re: '(x)\\1'\ncondition: sel and not missing");
    assert.equal(r, undefined);
    const got = problems.map((p) => [p.code, p.line, p.col]);
    assert.deepEqual(got, [
      ['MW_ERR_SIGMA_MODIFIER', 6, 11],
      ['MW_ERR_SIGMA_REGEX', 7, 15],
      ['MW_ERR_SIGMA_REGEX', 8, 15],
      ['MW_ERR_SIGMA_CONDITION', 9, 28],
    ]);
  });
  it('schema errors map to the key', () => {
    const r = loadRuleText('title: t\nlevel: severe\ndate: 2024/01/01\nlogsource: {}\ndetection:\n  sel: {a: 1}\n  condition: sel\n', 'x.yml');
    assert.deepEqual(
      r.problems.map((p) => [p.code, p.line, p.col]),
      [
        ['MW_ERR_SIGMA_SCHEMA', 2, 1],
        ['MW_ERR_SIGMA_SCHEMA', 3, 1],
      ],
    );
  });
  it('YAML syntax errors have positions', () => {
    const r = loadRuleText('title: t\ndetection:\n  sel: [a\n', 'y.yml');
    assert.ok(r.problems.length >= 1);
    assert.equal(r.problems[0]!.code, 'MW_ERR_SIGMA_YAML');
    assert.equal(r.problems[0]!.file, 'y.yml');
  });
});
