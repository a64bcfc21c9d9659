/**
 * Completion and start-up benchmark, no lab needed. What a shell really runs on Tab: `_fab_complete`
 * of the sourced bash script, in a running bash, timed there with $EPOCHREALTIME; warm (the cache is
 * fresh: awk answers) and uncached (the cache file removed first: `fab __complete` answers and rewrites
 * it). Next to `node -e 0` and `fab --list`, all alternating in one run so machine load hits them alike;
 * median of N runs each. `--baseline DIR`: also time `fab --list` of another built checkout.
 * npm run bench:completion [-- --runs 30 --baseline /tmp/fabts-main]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { completionScript } from '../lib/cli/completion-scripts.js';
import { repoRoot } from '../test/lab/repo.js';
import { argOf } from './args.js';
import { fmt, median } from './measure.js';

const runs = Number(argOf('runs', '30'));
const baseline = argOf('baseline', '');
const root = repoRoot();
const fab = join(root, 'bin', 'fab.js');
const tmp = mkdtempSync(join(tmpdir(), 'fab-bench-completion-'));
mkdirSync(join(tmp, 'bin'));
symlinkSync(fab, join(tmp, 'bin', 'fab'));
const script = join(tmp, 'fab.bash');
writeFileSync(script, completionScript('bash'));
const env = {
  ...process.env,
  // The lab host set reads lab.json: point it at a lab that is not there, as on a machine without one.
  FAB_LAB_DIR: join(root, '.fab', 'no-lab'),
  PATH: `${join(tmp, 'bin')}:${process.env.PATH}`,
  // A cache dir of its own (completion and transform caches), warmed below.
  XDG_CACHE_HOME: join(tmp, 'cache'),
};

/** Each process runs in its checkout: the baseline lists its own fabfiles and host sets. */
const processes: Record<string, { args: string[]; cwd: string }> = {
  'node -e 0': { args: ['-e', '0'], cwd: root },
  'fab --list': { args: [fab, '--list'], cwd: root },
  ...(baseline
    ? { 'fab --list (baseline)': { args: [join(baseline, 'bin', 'fab.js'), '--list'], cwd: baseline } }
    : {}),
};
/** Lines typed before Tab. `fab -H ` offers the hosts of every set, the dynamic `lab` among them: never cached. */
const LINES = ['fab ', 'fab prod -H w', 'fab rollingDeploy --on-failure ', 'fab -H '];

/** Wall seconds of one process. */
function run({ args, cwd }: { args: string[]; cwd: string }): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr.slice(-500)}`);
  return Number(process.hrtime.bigint() - t0) / 1e9;
}

/** One bash: each line's Tab warm, then uncached; seconds of `_fab_complete` alone, and what it offered. */
function tabs(): Record<string, { s: number; words: string }> {
  const body = [
    `source ${script}`,
    'cache=$XDG_CACHE_HOME/fabts/complete$PWD/_fab-complete.tsv',
    'tab() { COMP_LINE=$1; COMP_POINT=${#1}; local t0=$EPOCHREALTIME; _fab_complete; local t1=$EPOCHREALTIME',
    '  printf "%s\\t%s\\t%s\\t%s\\n" "$2 $1" "$t0" "$t1" "${COMPREPLY[*]}"; }',
    ...LINES.flatMap((l) => [`tab '${l}' warm`, `rm -f "$cache"; tab '${l}' uncached`, `tab '${l}' warm >/dev/null`]),
  ].join('\n');
  const r = spawnSync('bash', ['--norc', '--noprofile', '-c', body], { cwd: root, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`bash exited ${r.status}: ${r.stderr.slice(-500)}`);
  return Object.fromEntries(
    r.stdout
      .trim()
      .split('\n')
      .map((l) => l.split('\t'))
      .map(([name, t0, t1, words]) => [`Tab ${name}`, { s: Number(t1) - Number(t0), words: words ?? '' }]),
  );
}

const times: Record<string, number[]> = {};
const push = (name: string, s: number) => (times[name] ??= []).push(s);
for (const p of Object.values(processes)) for (let i = 0; i < 3; i++) run(p); // warm the transform cache
const first = tabs();
for (const l of LINES)
  if (first[`Tab warm ${l}`]!.words !== first[`Tab uncached ${l}`]!.words)
    throw new Error(`${l}: the cache offered ${first[`Tab warm ${l}`]!.words}, fab __complete something else`);
for (let r = 0; r < runs; r++) {
  for (const [name, p] of Object.entries(processes)) push(name, run(p));
  for (const [name, t] of Object.entries(tabs())) {
    // A Tab that answered otherwise than the first time is a bug, not a figure.
    if (t.words !== first[name]!.words) throw new Error(`${name}: offered ${t.words}, first ${first[name]!.words}`);
    push(name, t.s);
  }
}
const medians = Object.fromEntries(Object.entries(times).map(([k, v]) => [k, median(v)]));
console.log(`${''.padEnd(48)} wall (median of ${runs})`);
for (const [name, m] of Object.entries(medians)) console.log(`${name.padEnd(48)} ${fmt(m)}`);
const list = medians['fab --list']!;
if (baseline) {
  const pct = ((list / medians['fab --list (baseline)']! - 1) * 100).toFixed(1);
  console.log(`fab --list vs baseline: ${pct} % (target: within 10 %)`);
}
console.log('target for a warm Tab: under 0.100 s');
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'completion.json'),
  `${JSON.stringify({ date: new Date().toISOString(), runs, medians, times, offered: first }, null, 2)}\n`,
);
