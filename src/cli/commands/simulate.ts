import type { Command } from 'commander';

// Placeholder until the scenario simulator (issue 3) lands: registers nothing.
export function register(_program: Command): void {}
