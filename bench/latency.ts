/**
 * Round trips on slow links: fab's operations on a warm connection through latency proxies (bench/latency-proxy.ts)
 * at several RTTs, side by side in one run. Effective RTTs of an operation = (ms at RTT r - ms at 0) / r; the proxies'
 * turn counts (client bursts answering the server inside the operation's window) cross-check them.
 * Run as root: npm run bench:latency [-- --runs 3 --reps 5 --rtts 0,50,100 --ops command,sudo --rolling no --baseline DIR]
 */
import { spawn } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildAppTarball } from '../test/lab/app.js';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { argOf } from './args.js';
import { proxyLab } from './latency-lab.js';
import { median } from './measure.js';
import { rollingOverhead } from './latency-rolling.js';

const runs = Number(argOf('runs', '3'));
const reps = Number(argOf('reps', '5'));
const rtts = argOf('rtts', '0,50,100').split(',').map(Number);
const only = argOf('ops', '').split(',').filter(Boolean);
const withRolling = argOf('rolling', 'yes') !== 'no';
const root = repoRoot();
/** `--baseline DIR`: another built checkout (e.g. main before this work), run alternating with this one */
const baseline = argOf('baseline', '');
const VARIANTS = [
  { tag: '', bin: join(root, 'bin', 'fab.js'), fabfiles: join(root, 'fabfiles') },
  ...(baseline
    ? [{ tag: ' (before)', bin: join(baseline, 'bin', 'fab.js'), fabfiles: join(baseline, 'fabfiles') }]
    : []),
];
const labDir = labDir_('lab-latency');
const fabfile = join(root, 'bench', 'fabfiles', 'latency.ts');

/** Invocations of the bench fabfile: a label prefix, the host, the ops, extra fab options, extra env. */
const JOBS: Array<{ label: string; host: string; ops: string; args: string[]; env?: Record<string, string> }> = [
  { label: '', host: 'web1', ops: 'command,sudo,edit,editSudo,put', args: [] },
  { label: 'sudo with a password', host: 'web1', ops: 'sudo', args: ['-u', 'fabtspw'] },
  { label: '', host: 'lb1', ops: 'disableLb', args: [] },
];

/** Runs fab without blocking this process: the proxies live in its event loop. Resolves with stdout. */
function fab(args: string[]): Promise<string> {
  const c = spawn(process.execPath, args, { cwd: root, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (err += d.toString()));
  return new Promise((resolve, reject) =>
    c.on('close', (code) =>
      code === 0 ? resolve(out) : reject(new Error(`fab ${args.slice(1).join(' ')}: ${out.slice(-1500)}${err}`)),
    ),
  );
}

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web: 3, lb: true });
const px = await proxyLab(lab.state, join(labDir, 'proxied'), 0);
const turnLog: number[] = [];
for (const p of Object.values(px.ssh.proxies)) p.turnLog = turnLog;
const env = { ...process.env, FAB_LAB_DIR: px.dir, NO_COLOR: '1', FAB_SUDO_PASSWORD: lab.state.sudoPassword };
/** op -> rtt -> durations (ms) and turns per repetition */
const ms = new Map<string, Map<number, number[]>>();
const turns = new Map<string, Map<number, number[]>>();
const ROLLING = 'rolling deploy, overhead per host';
const push = (m: Map<string, Map<number, number[]>>, op: string, rtt: number, v: number) => {
  if (!m.has(op)) m.set(op, new Map());
  const byRtt = m.get(op)!;
  byRtt.set(rtt, [...(byRtt.get(rtt) ?? []), v]);
};
const GOALS: Record<string, number> = {
  command: 1,
  sudo: 2,
  'sudo with a password': 2,
  edit: 3,
  'edit (sudo)': 3,
  [ROLLING]: 5,
};
/**
 * Met when no RTT gives more than the goal (+0.25 for timer noise); a negative figure means the run at RTT 0 was
 * slowed by other load more than the delay added, so the row says so instead of claiming anything.
 */
function verdict(eff: number[], worst: number, goal: number): string {
  if (eff.some((e) => e < -0.25)) return 'noise (RTT 0 run slower)';
  return worst <= goal + 0.25 ? 'yes' : `no (+${(worst - goal).toFixed(1)})`;
}

function report(done: number): void {
  const top = Math.max(...rtts);
  const rows: string[][] = [];
  // each operation, then the same operation on the baseline
  const base = (op: string) => op.replace(' (before)', '');
  const order = [...new Set([...ms.keys()].map(base))];
  const sorted = [...ms].sort(([a], [b]) => order.indexOf(base(a)) - order.indexOf(base(b)) || a.length - b.length);
  for (const [op, byRtt] of sorted) {
    const med = (rtt: number) => median(byRtt.get(rtt) ?? [NaN]);
    const eff = rtts.filter((r) => r > 0).map((r) => (med(r) - med(0)) / r);
    const t = turns.get(op)?.get(top);
    const goal = op.endsWith(' (before)') ? undefined : GOALS[op];
    const worst = Math.max(...eff);
    rows.push([
      op,
      ...rtts.map((r) => med(r).toFixed(0)),
      eff.map((e) => e.toFixed(2)).join(' / '),
      t ? String(median(t)) : '-',
      goal === undefined ? '-' : `<= ${goal}`,
      goal === undefined ? '-' : verdict(eff, worst, goal),
    ]);
  }
  const head = ['operation', ...rtts.map((r) => `ms @ ${r}`), `RTTs (${rtts.filter((r) => r > 0).join(' / ')})`];
  const header = [...head, `turns @ ${top}`, 'goal', 'met?'];
  console.log(`\nmedian of ${done} runs x ${reps} reps; load average ${loads.map((l) => l.toFixed(1)).join(', ')}\n`);
  console.log(`| ${header.join(' | ')} |\n|${header.map(() => '---').join('|')}|`);
  for (const row of rows) console.log(`| ${row.join(' | ')} |`);
  mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
  writeFileSync(
    join(root, '.fab', 'bench', 'latency.json'),
    `${JSON.stringify({ date: new Date().toISOString(), runs: done, reps, rtts, loads, rows }, null, 2)}\n`,
  );
}

const loads: number[] = [];
try {
  for (let r = 0; r < runs; r++) {
    for (const rtt of rtts) {
      px.setDelay(rtt / 2);
      loads.push(loadavg()[0]!);
      for (const job of JOBS) {
        const ops = job.ops.split(',').filter((o) => !only.length || only.includes(o));
        if (!ops.length) continue;
        for (const v of VARIANTS) {
          turnLog.length = 0;
          const f = ['-f', v.fabfiles, '-f', fabfile];
          const args = [v.bin, ...f, 'lab', '-H', job.host, ...job.args, 'latencyOps', '--ops', ops.join(',')];
          const out = await fab([...args, '--reps', String(reps)]);
          for (const line of out.split('\n').filter((l) => l.startsWith('LATENCY '))) {
            const e = JSON.parse(line.slice(8)) as { op: string; start: number; end: number; ms: number };
            const op = (job.label || e.op) + v.tag;
            push(ms, op, rtt, e.ms);
            push(turns, op, rtt, turnLog.filter((t) => t >= e.start && t <= e.end).length);
          }
        }
      }
      if (!withRolling) continue;
      for (const v of VARIANTS) {
        const artifact = await buildAppTarball(join(labDir, 'art'), `l${Date.now()}`);
        turnLog.length = 0;
        const o = await rollingOverhead(fab, v.bin, v.fabfiles, artifact);
        push(ms, ROLLING + v.tag, rtt, o.overheadPerHost * 1000);
        // every turn of the run (connection set-up, lock, journal, drains, action, gates) per web host
        push(turns, ROLLING + v.tag, rtt, Math.round(turnLog.length / o.hosts));
        const sp = Object.entries(o.spent).map(([k, x]) => `${k} ${((x * 1000) / o.hosts).toFixed(0)}`);
        console.log(
          `run ${r + 1}, RTT ${rtt} ms${v.tag}: rolling overhead ${(o.overheadPerHost * 1000).toFixed(0)} ms/host ` +
            `(${sp.join(', ')} ms/host; ${turnLog.length} turns for ${o.hosts} hosts)`,
        );
      }
    }
    report(r + 1); // after every run, so a long run that is cut short still leaves figures
  }
} finally {
  await px.close();
  await lab.remove();
}
