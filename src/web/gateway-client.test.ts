import { strict as assert } from 'node:assert';
import { it } from 'node:test';
import { parsePrometheusText } from './gateway-client.js';

it('reads the Prometheus text format the gateway writes', () => {
  const text = [
    '# HELP mirrorwatch_gateway_rejections_total Requests refused.',
    '# TYPE mirrorwatch_gateway_rejections_total counter',
    'mirrorwatch_gateway_rejections_total{reason="MW_ERR_GW_RATE_LIMITED"} 12',
    'mirrorwatch_gateway_budget_remaining{principal="o\\"hara",model="clf",budget="daily"} 4988',
    'mirrorwatch_gateway_audit_dropped_total 0',
    'garbage line',
    '',
  ].join('\n');
  assert.deepEqual(parsePrometheusText(text), [
    { name: 'mirrorwatch_gateway_rejections_total', labels: { reason: 'MW_ERR_GW_RATE_LIMITED' }, value: 12 },
    { name: 'mirrorwatch_gateway_budget_remaining', labels: { principal: 'o"hara', model: 'clf', budget: 'daily' }, value: 4988 },
    { name: 'mirrorwatch_gateway_audit_dropped_total', labels: {}, value: 0 },
  ]);
});
