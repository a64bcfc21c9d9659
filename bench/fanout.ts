/**
 * Fan-out benchmark: the same one-line command (`true`) on N lab hosts, fab against raw OpenSSH (xargs -P over ssh
 * with curve25519) at the same concurrency, every case alternating in each round; wall time, the client's CPU
 * (user + system, GNU time) and peak RSS, medians. Then one 200-host run with output shown, checked line by line
 * (whole lines, every host's lines, the ok/failed summary), and fab's start-up.
 * Run as root: npm run bench:fanout [-- --runs 5 --sizes 10,50,100,200 --pool 10 --timeout 60 --baseline DIR]
 * (--baseline: a second built checkout whose bin/fab.js runs beside this one, for before/after figures.)
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { checkFanoutOutput, outputCommand } from '../test/lab/fanout-output.js';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { fmt, median, timeCommand, usageOf, type Usage } from './measure.js';
import { argOf } from './args.js';

const runs = Number(argOf('runs', '5'));
const sizes = argOf('sizes', '10,50,100,200').split(',').map(Number);
const pool = Number(argOf('pool', '10'));
const baseline = argOf('baseline', '');
// The same connect timeout on both sides: fab's default (10 s) covers the whole handshake, and 200 handshakes at
// once on a loaded 2-core machine take longer than that; ssh has no default ConnectTimeout at all.
const timeout = argOf('timeout', '60');
const root = repoRoot();
const fab = join(root, 'bin', 'fab.js');
const labDir = labDir_('lab-bench');
const load = () => loadavg()[0]!.toFixed(1);

interface Case {
  name: string;
  hosts: number;
  /** hosts at once: pool, or hosts (unbounded) */
  at: number;
  tool: 'openssh' | 'fab' | 'baseline';
  cmd: string;
  args: string[];
}

function cases(n: number, sshConfig: string): Case[] {
  const hosts = Array.from({ length: n }, (_, i) => `web${i + 1}`);
  const out: Case[] = [];
  // Unbounded (all hosts at once), and `pool` at a time where that differs.
  for (const at of n > pool ? [n, pool] : [n]) {
    const opts = `-o ConnectTimeout=${timeout} -o KexAlgorithms=curve25519-sha256 -o BatchMode=yes`;
    const ssh = `ssh -F ${sshConfig} ${opts} {} true`;
    out.push({
      name: 'OpenSSH',
      hosts: n,
      at,
      tool: 'openssh',
      cmd: 'sh',
      args: ['-c', `printf '%s\\n' ${hosts.join(' ')} | xargs -P ${at} -I{} ${ssh}`],
    });
    const fabArgs = ['lab', '-H', hosts.join(','), '-t', timeout, '-P', ...(at < n ? ['-z', String(at)] : [])];
    const run = [...fabArgs, '--hide', 'everything', '--', 'true'];
    out.push({ name: 'fab', hosts: n, at, tool: 'fab', cmd: process.execPath, args: [fab, ...run] });
    if (baseline) {
      const args = [join(baseline, 'bin', 'fab.js'), ...run];
      out.push({ name: 'fab (baseline)', hosts: n, at, tool: 'baseline', cmd: process.execPath, args });
    }
  }
  return out;
}

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web: Math.max(...sizes) });
const results: Record<string, unknown> = { loadStart: loadavg() };
const rows: Array<Case & { wall: number; cpu: number; rssKb: number; walls: number[]; cpus: number[] }> = [];
try {
  const env = { ...process.env, FAB_LAB_DIR: labDir, NO_COLOR: '1' };
  for (const n of sizes) {
    const all = cases(n, lab.state.sshConfig);
    const samples = all.map((): Usage[] => []);
    for (let r = 0; r < runs; r++) {
      // Alternate the order too, so no case always runs right after the same neighbour.
      const order = all.map((_, i) => i);
      if (r % 2) order.reverse();
      for (const i of order) samples[i]!.push(usageOf(all[i]!.cmd, all[i]!.args, { env, cwd: root }));
    }
    all.forEach((c, i) => {
      const s = samples[i]!;
      const row = {
        ...c,
        wall: median(s.map((u) => u.wall)),
        cpu: median(s.map((u) => u.cpu)),
        rssKb: Math.max(...s.map((u) => u.rssKb)),
        walls: s.map((u) => u.wall),
        cpus: s.map((u) => u.cpu),
      };
      rows.push(row);
    });
    for (const at of new Set(all.map((c) => c.at))) {
      const ssh = rows.find((x) => x.hosts === n && x.at === at && x.tool === 'openssh')!;
      for (const x of rows.filter((y) => y.hosts === n && y.at === at)) {
        console.log(
          `${n} hosts, ${at === n ? 'all at once' : `${at} at once`}: ${x.name.padEnd(14)} wall ${fmt(x.wall)} ` +
            `(${((x.wall / n) * 1000).toFixed(1)} ms/host, ${(x.wall / ssh.wall).toFixed(2)}x), ` +
            `CPU ${x.cpu.toFixed(2)} s (${((x.cpu / n) * 1000).toFixed(1)} ms/host, ` +
            `${(x.cpu / ssh.cpu).toFixed(2)}x), ` +
            `peak RSS ${(x.rssKb / 1024).toFixed(0)} MB; load ${load()}`,
        );
      }
    }
  }
  results.rows = rows;

  // Output at the largest size, shown: whole lines, every host's lines, the summary (hosts *7 fail on purpose).
  const n = Math.max(...sizes);
  const hosts = Array.from({ length: n }, (_, i) => `web${i + 1}`);
  const t0 = process.hrtime.bigint();
  const shown = spawnSync(
    process.execPath,
    [fab, 'lab', '-H', hosts.join(','), '-t', timeout, '-P', '--', outputCommand()],
    {
      env,
      cwd: root,
      encoding: 'utf8',
      maxBuffer: 1 << 30,
    },
  );
  const problems = checkFanoutOutput(shown.stdout, hosts);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  results.output = { hosts: n, exit: shown.status, bytes: shown.stdout.length, wall, problems };
  const summary = shown.stdout.split('\n').find((l) => /^(Done|Failed) in /.test(l));
  console.log(
    `output check, ${n} hosts shown: ${shown.stdout.length} bytes, exit ${shown.status}, ` +
      `${problems.length ? `PROBLEMS: ${problems.slice(0, 5).join('; ')}` : 'whole lines, all hosts'}; ${summary}`,
  );
  if (problems.length || shown.status !== 1) process.exitCode = 1;

  const startup = (args: string[]) =>
    median(Array.from({ length: 20 }, () => timeCommand(process.execPath, args, { cwd: root })));
  for (let i = 0; i < 3; i++) timeCommand(process.execPath, [fab, '--list'], { cwd: root }); // warm the transform cache
  const list = startup([fab, '--list']);
  const version = startup([fab, '--version']);
  const bare = startup(['-e', '0']);
  results.startup = { list, version, nodeBare: bare };
  console.log(
    `start-up: fab --list ${fmt(list)}, fab --version ${fmt(version)}, node -e 0 ${fmt(bare)} (median of 20, warm); ` +
      `load ${load()}`,
  );
} finally {
  await lab.remove();
}
results.loadEnd = loadavg();
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'fanout.json'),
  `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
);
