/**
 * Completion and start-up benchmark, no lab needed: `fab __complete` as a shell runs it on Tab (this
 * repo's fabfiles and host sets, warm transform cache), next to `fab --list` and `node -e 0`, all
 * alternating in one run so machine load hits them alike; median of N runs each.
 * `--baseline DIR`: also time `fab --list` of another checkout (built), e.g. the commit before zx.
 * npm run bench:completion [-- --runs 30 --baseline /tmp/fabts-main]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { repoRoot } from '../test/lab/repo.js';
import { argOf } from './args.js';
import { fmt, median } from './measure.js';

const runs = Number(argOf('runs', '30'));
const baseline = argOf('baseline', '');
const root = repoRoot();
const fab = join(root, 'bin', 'fab.js');
// The lab host set reads lab.json: point it at a lab that is not there, as on a machine without one.
const env = { ...process.env, FAB_LAB_DIR: join(root, '.fab', 'no-lab') };

const cases: Record<string, string[]> = {
  'node -e 0': ['-e', '0'],
  'fab --list': [fab, '--list'],
  ...(baseline ? { 'fab --list (baseline)': [join(baseline, 'bin', 'fab.js'), '--list'] } : {}),
  'complete `fab `': [fab, '__complete', 'bash', '--', 'fab '],
  'complete `fab prod -H w`': [fab, '__complete', 'bash', '--', 'fab prod -H w'],
  'complete `fab rollingDeploy --on-failure `': [fab, '__complete', 'zsh', '--', 'rollingDeploy', '--on-failure', ''],
};

/** Wall and CPU (user + sys, from GNU time) seconds of one run: CPU time moves less with the machine's load. */
function run(args: string[]): { wall: number; cpu: number } {
  const t0 = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%U %S', process.execPath, ...args], {
    cwd: root,
    env,
    encoding: 'utf8',
  });
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  const [user, sys] = r.stderr.trim().split('\n').at(-1)!.split(' ').map(Number);
  return { wall, cpu: user! + sys! };
}

const times: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
for (const args of Object.values(cases)) for (let i = 0; i < 3; i++) run(args); // warm the transform cache
for (let r = 0; r < runs; r++) {
  for (const [name, args] of Object.entries(cases)) {
    const t = run(args);
    times[name]!.push(t.wall);
    cpu[name]!.push(t.cpu);
  }
}
const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
const cpuMedians = Object.fromEntries(Object.entries(cpu).map(([k, v]) => [k, median(v)]));
console.log(`${''.padEnd(44)} wall     cpu`);
for (const [name, m] of Object.entries(medians)) console.log(`${name.padEnd(44)} ${fmt(m)}  ${fmt(cpuMedians[name]!)}`);
const list = medians['fab --list']!;
if (baseline)
  console.log(
    `fab --list vs baseline: ${((list / medians['fab --list (baseline)']! - 1) * 100).toFixed(1)} % (target: within 10 %)`,
  );
console.log(`(median of ${runs} warm runs each, alternating; target for completion: under 0.100 s)`);
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'completion.json'),
  `${JSON.stringify({ date: new Date().toISOString(), runs, medians, cpuMedians, times, cpu }, null, 2)}\n`,
);
