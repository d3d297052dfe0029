/**
 * Small real lab data for the attack tests: the lab's own loader with a
 * subsampled pool and Tox21 (RDKit fingerprints cost ~0.5 ms a molecule) and
 * victims trained on part of their training sets, so each test file stays
 * within seconds. Not shipped behaviour.
 */
import { loadLabData, type LabData } from '../data/index.js';
import { trainVictimClassifier, trainVictimRegressor } from '../learn/index.js';
import type { Molecule, MultiLabelClassifier, Regressor } from '../types.js';

const loaded = new Map<number, Promise<LabData>>();

export function smallLabData(seed: number): Promise<LabData> {
  let p = loaded.get(seed);
  if (!p) loaded.set(seed, (p = loadLabData({ seed, quick: true, poolSize: 3000, tox21Size: 800, workers: 1 })));
  return p;
}

export interface SmallRegressionVictim {
  victim: Regressor;
  members: Molecule[];
  yMembers: number[];
}

/** A BACE GP victim on `n` of the training compounds (an exact GP is cubic in n). */
export function smallRegressionVictim(data: LabData, seed: number, n = 400): SmallRegressionVictim {
  const members = data.bace.train.slice(0, n);
  const yMembers = data.bace.yTrain.slice(0, n);
  return { victim: trainVictimRegressor(members.map((m) => m.fp), yMembers, { seed }), members, yMembers };
}

export function smallClassificationVictim(data: LabData, seed: number): MultiLabelClassifier {
  return trainVictimClassifier(data.tox21.train.map((m) => m.fp), data.tox21.Ytrain, data.tox21.labels, { seed });
}
