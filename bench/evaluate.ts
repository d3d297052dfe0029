/**
 * `npm run bench:evaluate`: the quality floor of issue 4 measured over seeds
 * x variants (simulate, ingest, detect, evaluate, plus the reference
 * queries), printed as one table of hours to detect per phase, hours to the
 * attacker's incident and false positives, ours beside the reference.
 *
 *   npm run bench:evaluate -- [--seeds 1-5] [--variants baseline,low-and-slow,sybil,no-hr] [--days 60] [--scale 0.2] [--json]
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runDemo } from '../src/demo/index.js';
import type { Evaluation } from '../src/evaluate/index.js';
import { PHASES, VARIANTS } from '../src/sim/index.js';
import type { Variant } from '../src/sim/index.js';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1]! : def;
}

function seedsOf(spec: string): number[] {
  return spec.split(',').flatMap((part) => {
    const [a, b] = part.split('-').map(Number);
    return b == null ? [a!] : Array.from({ length: b - a! + 1 }, (_, k) => a! + k);
  });
}

const fp = (e: Evaluation): number => e.benign.incidents + e.benign.high_alerts + e.unknown.incidents + e.unknown.high_alerts + e.decoys.reduce((s, d) => s + d.incidents + d.high_alerts, 0);
const h = (x: number | null | undefined): string => (x == null ? 'none' : x.toFixed(1));

const seeds = seedsOf(arg('--seeds', '1-5'));
const variants = arg('--variants', VARIANTS.join(',')).split(',') as Variant[];
const days = Number(arg('--days', '60'));
const scale = Number(arg('--scale', '0.2'));
const json = process.argv.includes('--json');
const rows: Array<{ seed: number; variant: Variant; ours: Evaluation; reference: Evaluation | null; seconds: Record<string, number> }> = [];

if (!json) process.stdout.write(`${'run'.padEnd(22)}${PHASES.map((p) => p.slice(0, 9).padStart(10)).join('')}  incident      FP   (hours; reference queries in brackets)\n`);
for (const seed of seeds) {
  for (const variant of variants) {
    const dir = await mkdtemp(join(tmpdir(), 'mw-bench-evaluate-'));
    try {
      const r = await runDemo({ seed, variant, days, scale, logDir: join(dir, 'logs'), dbPath: join(dir, 'store.duckdb') });
      const ref = r.reference?.evaluation ?? null;
      rows.push({ seed, variant, ours: r.evaluation, reference: ref, seconds: r.seconds });
      if (!json) {
        const cell = (id: string): string => {
          const o = r.evaluation.phases.find((p) => p.id === id);
          const x = ref?.phases.find((p) => p.id === id);
          return o ? `${h(o.hours_to_detect)}(${h(x?.hours_to_detect)})`.padStart(10) : '-'.padStart(10);
        };
        process.stdout.write(
          `${`s${seed} ${variant}`.padEnd(22)}${PHASES.map(cell).join('')}  ${`${h(r.evaluation.incident?.hours_after_first_act)}(${h(ref?.incident?.hours_after_first_act)})`.padEnd(13)} ${fp(r.evaluation)}(${ref ? fp(ref) : '-'})\n`,
        );
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}
const met = rows.filter((r) => r.ours.floor.met).length;
if (json) process.stdout.write(JSON.stringify({ days, scale, rows }, null, 2) + '\n');
else process.stdout.write(`floor met on ${met}/${rows.length} runs (every phase, including those of detectors not yet built)\n`);
