/**
 * Summarises a V8 `.cpuprofile` (from `node --cpu-prof`) as the functions with
 * the most self time, so a profile of the gateway under the benchmark's load
 * can be read without a browser or extra packages.
 *
 *   MW_BENCH_PROF=/tmp/prof node dist/bench/gateway.js      # writes the gateway's profile there
 *   node dist/bench/profile-top.js /tmp/prof/<file>.cpuprofile [top=30]
 */
import { readFileSync } from 'node:fs';

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: Node[];
  samples: number[];
  timeDeltas: number[];
}

export function topSelf(p: Profile, top: number): Array<{ name: string; selfMs: number; share: number; totalMs: number }> {
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const parent = new Map<number, number>();
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
  const self = new Map<number, number>();
  p.samples.forEach((id, i) => self.set(id, (self.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
  const label = (n: Node): string => {
    const f = n.callFrame;
    const file = f.url.replace(/^.*\/(node_modules\/)/, '$1').replace(/^.*\/(dist\/)/, '$1').replace(/^file:\/\//, '');
    return `${f.functionName || '(anonymous)'} ${file ? `${file}:${f.lineNumber + 1}` : ''}`.trim();
  };
  const selfBy = new Map<string, number>();
  const totalBy = new Map<string, number>();
  let all = 0;
  for (const [id, us] of self) {
    all += us;
    const n = byId.get(id)!;
    selfBy.set(label(n), (selfBy.get(label(n)) ?? 0) + us);
    // Inclusive time: each sample counts once for every distinct function on its stack.
    const seen = new Set<string>();
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      const l = label(byId.get(cur)!);
      if (seen.has(l)) continue;
      seen.add(l);
      totalBy.set(l, (totalBy.get(l) ?? 0) + us);
    }
  }
  return [...selfBy.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([name, us]) => ({ name, selfMs: us / 1000, share: us / all, totalMs: (totalBy.get(name) ?? 0) / 1000 }));
}

const file = process.argv[2];
if (file) {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile;
  const rows = topSelf(p, Number(process.argv[3] ?? 30));
  console.log(`${'self ms'.padStart(9)} ${'self %'.padStart(7)} ${'total ms'.padStart(9)}  function`);
  for (const r of rows) console.log(`${r.selfMs.toFixed(1).padStart(9)} ${(r.share * 100).toFixed(1).padStart(7)} ${r.totalMs.toFixed(1).padStart(9)}  ${r.name}`);
}
