/** The rule set's index never changes results: same matches as every rule alone. */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { createRuleSet, EventView, loadRuleText, type CompiledRule, type SigmaEvent } from './index.js';

const RULES = `title: a
name: a
logsource: {product: t}
detection:
    sel: {eventSource: S3.amazonaws.com, eventName: [GetObject, PutObject]}
    condition: sel
---
title: b
name: b
logsource: {product: t}
detection:
    sel: {EventID: 4688}
    filter: {user: root}
    condition: sel and not filter
---
title: c
name: c
logsource: {product: t}
detection:
    sel1: {a.b: 'x'}
    sel2: {n: ''}
    condition: all of sel*
---
title: d (not indexable)
name: d
logsource: {product: t}
detection:
    sel: {eventName|startswith: get}
    condition: sel or not sel
---
title: e
name: e
logsource: {product: t}
detection:
    sel: {flag: true, eventName: 'Get\\*'}
    condition: sel
`;

describe('rule set', () => {
  const docs = loadRuleText(RULES, 'r.yml');
  const rules = docs.documents as CompiledRule[];
  it('indexes the rules with a required plain equality', () => {
    assert.deepEqual(docs.problems, []);
    assert.deepEqual(
      rules.map((r) => r.anchors.map((a) => a.field)),
      [['eventSource', 'eventName'], ['EventID'], ['a.b', 'n'], [], ['eventName']],
    );
  });
  it('equals rule-by-rule matching on random events', () => {
    const set = createRuleSet(rules);
    const value = fc.oneof(
      fc.constantFrom('S3.amazonaws.com', 's3.AMAZONAWS.com', 'GetObject', 'getobject', 'PutObject', 'Get*', 'root', 'x', 'X', '', 'true', '4688'),
      fc.constantFrom(4688, 4689, true, false, null),
      fc.array(fc.constantFrom('GetObject', 'x', 4688), { maxLength: 3 }),
    );
    const event = fc.record(
      {
        eventSource: value,
        eventName: value,
        EventID: value,
        user: value,
        a: fc.record({ b: value }),
        'a.b': value,
        n: value,
        flag: value,
      },
      { requiredKeys: [] },
    );
    fc.assert(
      fc.property(event, (e) => {
        const view = new EventView(e as SigmaEvent);
        assert.deepEqual(
          set.match(view).map((r) => r.key),
          rules.filter((r) => r.match(view)).map((r) => r.key),
        );
      }),
      { numRuns: 3000, seed: 7 },
    );
  });
});
