import { strict as assert } from 'node:assert';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MwError } from '../errors/index.js';
import { defaultPlaybooksDir, loadPlaybooks, parsePlaybook } from './playbook.js';

const shipped = readFileSync(join(defaultPlaybooksDir(), 'model-theft.yaml'), 'utf8');

/** 1-based line of the first line containing `needle`. */
const lineOf = (text: string, needle: string): number => text.split('\n').findIndex((l) => l.includes(needle)) + 1;

describe('playbook loader', () => {
  it('loads the shipped PB-53 with every part the issue names', () => {
    const [pb] = loadPlaybooks();
    assert.ok(pb);
    const p = pb.playbook;
    assert.equal(p.id, 'PB-53');
    assert.deepEqual(p.phases.map((x) => x.name), ['Detect', 'Analyze', 'Contain', 'Eradicate', 'Recover', 'Lessons']);
    assert.deepEqual(p.triage.map((t) => t.fill), ['api_volume', 'query_patterns', 'key_identification', 'download_audit', 'access_review', 'model_inventory']);
    assert.deepEqual(p.vectors.map((v) => v.id), ['extraction_via_api', 'weight_theft', 'training_data_exfiltration', 'insider_copy', 'side_channel']);
    assert.equal(p.containment.target_minutes, 15);
    for (const a of ['throttle', 'output_policy', 'revoke_keys', 'freeze', 'deny_policy', 'disable_export']) assert.ok(p.containment.steps.some((s) => s.action === a), a);
    assert.deepEqual(Object.fromEntries(p.escalation.map((e) => [e.id, e.notify])), {
      weights_stolen: ['CTO', 'CISO', 'Legal'],
      training_data: ['DPO', 'Legal'],
      insider: ['HR', 'Legal', 'CISO'],
      competitor: ['Legal', 'Leadership'],
      regulated_model: ['Compliance', 'Legal'],
    });
    assert.ok(p.recovery.length > 0 && p.lessons.length > 0);
  });

  it('reports every problem at once, each at its line and column', () => {
    const broken = shipped
      .replace('id: PB-53', 'id: PB53')
      .replace('    severity: medium\n', '    severity: severe\n')
      .replace('      mode: approval\n    - id: freeze_principal', '      mode: sometimes\n    - id: freeze_principal')
      .replace('    when: { any: [training_data] }', '    when: { any: [training_dta] }')
      .replace('recovery:\n', 'surprise: 1\nrecovery:\n');
    const r = parsePlaybook(broken, 'pb.yaml');
    assert.equal(r.playbook, null);
    const msgs = r.problems.map((p) => `${p.line}:${p.col} ${p.message}`);
    assert.equal(r.problems.length, 5, msgs.join('\n'));
    const at = (needle: string): number => lineOf(broken, needle);
    const find = (re: RegExp) => r.problems.find((p) => re.test(p.message));
    assert.deepEqual([find(/^id:/)!.line, find(/^id:/)!.col], [at('id: PB53'), 5]);
    assert.equal(find(/vectors\.4\.severity/)!.line, at('severity: severe'));
    assert.equal(find(/containment\.steps\.2\.mode/)!.line, at('mode: sometimes'));
    assert.equal(find(/escalation\.1\.when\.any\.0/)!.line, at('training_dta'));
    assert.match(find(/surprise/)!.message, /unknown key/);
    assert.deepEqual([find(/surprise/)!.line, find(/surprise/)!.col], [at('surprise: 1'), 1], 'an unknown key is reported where it is');
    assert.ok(r.problems.every((p) => p.file === 'pb.yaml' && p.col >= 1));
  });

  it('checks references between sections: unknown steps, connector actions, duplicate ids', () => {
    const broken = shipped
      .replace('    actions: [throttle, degrade_outputs]\n', '    actions: [throttle, degrade_output]\n')
      .replace('      action: freeze\n', '      action: melt\n')
      .replace('  - id: api_volume\n    name: API call volume vs baseline', '  - id: query_patterns\n    name: API call volume vs baseline');
    const r = parsePlaybook(broken, 'x.yaml');
    const msgs = r.problems.map((p) => p.message);
    assert.equal(r.problems.length, 3, msgs.join('\n'));
    assert.equal(r.problems.find((p) => /degrade_output"/.test(p.message))!.line, lineOf(broken, 'actions: [throttle, degrade_output]'));
    assert.equal(r.problems.find((p) => /"melt"/.test(p.message))!.line, lineOf(broken, 'action: melt'));
    assert.ok(msgs.some((m) => /triage check id "query_patterns" appears twice/.test(m)));
  });

  it('reports YAML syntax errors with their position', () => {
    const r = parsePlaybook('id: PB-1\nname: [unclosed\n', 'y.yaml');
    assert.equal(r.playbook, null);
    assert.ok(r.problems.length >= 1);
    assert.ok(r.problems.every((p) => p.line >= 2));
  });

  it('loads a folder of user playbooks and fails with every file\'s problems listed', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-pb-'));
    try {
      writeFileSync(join(dir, 'a.yaml'), shipped.replace('id: PB-53', 'id: PB-90').replace('name: AI Model Theft / Exfiltration Response', 'name: Partner API abuse'));
      writeFileSync(join(dir, 'b.yml'), shipped);
      assert.deepEqual(loadPlaybooks(dir).map((p) => p.playbook.id), ['PB-90', 'PB-53']);
      writeFileSync(join(dir, 'c.yaml'), shipped.replace('target_minutes: 15', 'target_minutes: -1'));
      writeFileSync(join(dir, 'd.yaml'), 'id: PB-2\n');
      assert.throws(
        () => loadPlaybooks(dir),
        (e: unknown) => e instanceof MwError && e.code === 'MW_ERR_RESPOND_PLAYBOOK' && /c\.yaml:\d+:\d+: containment\.target_minutes/.test(e.message) && /d\.yaml:1:1: name/.test(e.message),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
