import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { redactExplanation } from './queries.js';

it('removes HR clauses from explanations and keeps the rest', () => {
  assert.equal(
    redactExplanation('split-exfil', 'bob uploaded 4 files (split names) totalling 100 MB to the unsanctioned destination x.com; raised from high because the principal is in a departing-user watch window.'),
    'bob uploaded 4 files (split names) totalling 100 MB to the unsanctioned destination x.com; raised from high for an HR reason (details need HR access).',
  );
  assert.equal(
    redactExplanation('registry-theft', 'bob pulled 860 MB of TRADE_SECRET model m, although it belongs to team t, and it is a TRADE_SECRET model and they are in their notice period.'),
    'bob pulled 860 MB of TRADE_SECRET model m, although it belongs to team t, and an HR condition applies (details need HR access).',
  );
  assert.match(redactExplanation('registry-theft', 'bob pulled 1 GB of TRADE_SECRET model m, although it is a TRADE_SECRET model and they are in their notice period.'), /HR condition applies/);
  assert.match(redactExplanation('departing-user', 'bob, who has resigned, performed 17 actions.'), /hidden/);
  assert.match(redactExplanation('recon', 'an unknown phrasing about a resignation'), /hidden/, 'fails closed');
  assert.equal(redactExplanation('recon', 'alice enumerated 5 targets.'), 'alice enumerated 5 targets.');
});
