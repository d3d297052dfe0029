import { strict as assert } from 'node:assert';
import { describe, it } from 'node:test';
import { sharedChem } from '../../test-support/index.js';
import { decodeOutput, decodeRequest, instancesOf } from './bodies.js';

describe('inference body decoding', () => {
  it('recognises each protocol and the molecules in it', async () => {
    const chem = await sharedChem();
    const c = (s: string): string | null => chem.canonical(s);
    const cases: Array<[unknown, string, number]> = [
      [{ data: { ndarray: [{ smiles: 'OCC' }, { smiles: 'CCO' }] } }, 'seldon-v1', 2],
      [{ data: { ndarray: [['OCC'], ['CCCCO']] } }, 'seldon-v1', 2],
      [{ instances: [{ smiles: 'c1ccccc1' }] }, 'kserve-v1', 1],
      [{ inputs: [{ name: 'smiles', shape: [2], datatype: 'BYTES', data: ['CCO', 'CCN'] }] }, 'oip-v2', 2],
      [['CCO', 'CCC'], 'list', 2],
    ];
    for (const [body, protocol, n] of cases) {
      const d = decodeRequest(body, c);
      assert.equal(d.protocol, protocol);
      assert.equal(d.inputs.length, n);
      for (const i of d.inputs) assert.equal(i.type, 'smiles', JSON.stringify(body));
    }
    // OCC and CCO are the same molecule: same canonical form, same hash.
    const [a, b] = decodeRequest({ data: { ndarray: [['OCC'], ['CCO']] } }, c).inputs;
    assert.ok(a?.type === 'smiles' && b?.type === 'smiles');
    assert.equal(a.canonical, 'CCO');
    assert.equal(a.hash, b.hash);
  });

  it('keeps numeric feature vectors and prompts apart from molecules', async () => {
    const chem = await sharedChem();
    const d = decodeRequest({ instances: [[6.8, 2.8, 4.8, 1.4], 'Summarise the assay results for compound 7'] }, (s) => chem.canonical(s));
    assert.equal(d.inputs[0]?.type, 'features');
    assert.deepEqual(d.inputs[0]?.type === 'features' && d.inputs[0].features, [6.8, 2.8, 4.8, 1.4]);
    assert.equal(d.inputs[1]?.type, 'text');
    const chat = decodeRequest({ model: 'm', messages: [{ role: 'user', content: 'hi' }] }, (s) => chem.canonical(s));
    assert.equal(chat.protocol, 'openai');
  });

  it('summarises outputs: prediction, confidence, interval width, explanation fields', () => {
    assert.deepEqual(decodeOutput({ prediction: 7.2, confidence: 0.81, interval: [6.5, 7.9], attention_weights: [0.1], binding_residues: ['ASP32'] }), {
      prediction: 7.2,
      confidence: 0.81,
      intervalWidth: 7.9 - 6.5,
      explanations: ['attention_weights', 'binding_residues', 'prediction_interval'],
    });
    assert.deepEqual(decodeOutput([0.1, 0.7, 0.2]), { prediction: [0.1, 0.7, 0.2], confidence: 0.7, intervalWidth: null, explanations: [] });
    assert.equal(decodeOutput({ prediction: 1, top_logprobs: [] }).explanations[0], 'logprobs');
    const inst = instancesOf([{ type: 'text', hash: 'h', length: 1 }], { predictions: [] });
    assert.equal(inst[0]?.output, null);
  });
});
