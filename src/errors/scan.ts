import type { ErrorDef } from './index.js';

// Owned by the posture scanner (src/scan). Add its codes here.
export const SCAN_ERRORS = {
  MW_ERR_SCAN_PATH: { status: 400, title: 'A scan path does not exist or cannot be read' },
  MW_ERR_SCAN_NO_INPUT: { status: 400, title: 'No Terraform (.tf), plan JSON or YAML files were found under the scan paths' },
  MW_ERR_SCAN_CONFIG: { status: 400, title: 'The --config file cannot be read or is not a valid scan configuration' },
  MW_ERR_SCAN_BAD_OPTION: { status: 400, title: 'A scan option has a value outside its allowed set (--format, --fail-on)' },
  MW_ERR_SCAN_OUTPUT: { status: 400, title: 'The report cannot be written to the --output or --evidence file' },
} as const satisfies Record<string, ErrorDef>;
