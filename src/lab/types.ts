/**
 * The lab's shared vocabulary: molecules as the lab handles them, the
 * victims' and surrogates' faces, and the answers an attacker receives
 * through the gateway (possibly hardened: fields removed, rounded, perturbed).
 */

/** A molecule: RDKit canonical SMILES and its Morgan fingerprint (radius 2, 2048 bits packed, as src/chem computes). */
export interface Molecule {
  smiles: string;
  fp: Uint8Array;
}

/** Mean and standard deviation per molecule; std is 0 where a learner has no uncertainty estimate. */
export interface RegressionOutput {
  mean: Float64Array;
  std: Float64Array;
}

export interface Regressor {
  predict(x: readonly Uint8Array[]): RegressionOutput;
}

/** Multi-label classifier: one probability (of the positive class) per label per molecule. */
export interface MultiLabelClassifier {
  readonly labels: readonly string[];
  predictProba(x: readonly Uint8Array[]): Float64Array[];
}

/**
 * What the attacker reads from one answered instance after the gateway's
 * output policy. Every field but the point prediction may be absent.
 */
export interface RegressionAnswer {
  prediction: number;
  confidence?: number;
  interval?: [number, number];
}

/** Per label: P(positive) when the policy leaves probabilities, else only the top-1 label (0 or 1). */
export interface ClassificationAnswer {
  probabilities?: number[];
  labels: Array<0 | 1>;
}

/**
 * The attacker's view of a victim behind the gateway. `ask` sends one batch
 * with the attacker's key; instances the gateway refused (blocked, step-up,
 * budget exhausted, rate limited past retries) come back as null, and
 * `stopped` turns true once the gateway refuses for good.
 */
export interface Oracle<A> {
  ask(batch: readonly Molecule[]): Promise<Array<A | null>>;
  readonly stopped: boolean;
  /** Instances answered so far. */
  readonly answered: number;
}
