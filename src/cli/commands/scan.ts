import type { Command } from 'commander';

// Placeholder until the posture scanner (issue 7) lands: registers nothing.
export function register(_program: Command): void {}
