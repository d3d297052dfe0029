/**
 * The combinatorial library's SMILES templating: a core's {1} and {2}
 * attachment points (always written inside parentheses) take R-groups written
 * from their attaching atom; R-group ring labels {a}/{b} become per-slot %nn
 * labels so that they never clash with the core's or each other's.
 */
export function enumerate(core: string, r1: string, r2: string): string {
  return core.replace('{1}', r1.replaceAll('{a}', '%71').replaceAll('{b}', '%72')).replace('{2}', r2.replaceAll('{a}', '%81').replaceAll('{b}', '%82'));
}
