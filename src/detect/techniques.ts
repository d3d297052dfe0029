/**
 * The technique ids an alert may carry. ATLAS ids and names are copied from
 * MITRE ATLAS 5.6.0 (data/atlas-techniques.json, whose source row is in
 * data/README.md); ATT&CK ids are Enterprise ATT&CK. A test checks that this
 * list equals the shipped JSON and that every id a detector declares is here,
 * so a typo in an id fails CI instead of reaching a SOC.
 */
export const TECHNIQUES = {
  'AML.T0005.001': 'Train Proxy via Replication',
  'AML.T0007': 'Discover AI Artifacts',
  'AML.T0024': 'Exfiltration via AI Inference API',
  'AML.T0024.000': 'Infer Training Data Membership',
  'AML.T0024.002': 'Extract AI Model',
  'AML.T0025': 'Exfiltration via Cyber Means',
  'AML.T0035': 'AI Artifact Collection',
  'AML.T0040': 'AI Model Inference API Access',
  'AML.T0048.004': 'AI Intellectual Property Theft',
  T1027: 'Obfuscated Files or Information',
  'T1036.005': 'Masquerading: Match Legitimate Resource Name or Location',
  T1048: 'Exfiltration Over Alternative Protocol',
  T1078: 'Valid Accounts',
  T1119: 'Automated Collection',
  T1213: 'Data from Information Repositories',
  T1530: 'Data from Cloud Storage',
  T1567: 'Exfiltration Over Web Service',
} as const;

export type TechniqueId = keyof typeof TECHNIQUES;

export function isTechniqueId(id: string): id is TechniqueId {
  return Object.prototype.hasOwnProperty.call(TECHNIQUES, id);
}

export function isAtlasId(id: string): boolean {
  return id.startsWith('AML.');
}
