/**
 * Warm connections across runs, side by side in one run (concurrency 10 everywhere):
 * - ad-hoc `true` on 10 and 50 hosts: fab --persist over the fab agent (ssh2; warm, second and later
 *   runs; both the `fab` binary and `npx fab`), fab --persist --ssh-client openssh (ControlPersist), fab
 *   cold (ssh2, the default), raw OpenSSH with fresh connections (xargs -P 10 ssh), raw OpenSSH over a
 *   warm ControlMaster per host;
 * - a 5-step task (`manyCommands --n 5`: five `echo`s) on 20 hosts: the same fab cases, OpenSSH with one
 *   fresh ControlMaster per host for the five commands, OpenSSH over warm masters.
 * Median of --runs runs, the cases alternating. Run as root: npm run bench:warm [-- --runs 5]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { fmt, median } from './measure.js';
import { argOf } from './args.js';

const runs = Number(argOf('runs', '5'));
const sizes = argOf('sizes', '10,50').split(',').map(Number);
const taskHosts = Number(argOf('task-hosts', '20'));
const conc = 10;
const root = repoRoot();
const fabBin = join(root, 'bin', 'fab.js');
const fixtures = join(root, 'test', 'fixtures', 'fabfiles');
const labDir = labDir_('lab-bench');
const xdg = mkdtempSync(join(tmpdir(), 'fab-warm-bench-'));
const cm = mkdtempSync(join(tmpdir(), 'fab-cm-'));

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web: Math.max(...sizes, taskHosts) });
const cfg = lab.state.sshConfig;
const env = { ...process.env, FAB_LAB_DIR: labDir, NO_COLOR: '1', XDG_RUNTIME_DIR: xdg };
const names = (n: number) => Array.from({ length: n }, (_, i) => `web${i + 1}`);
interface Cost {
  wall: number;
  cpu: number;
  /** CPU of the background fab agent during the run (not a child of the command, so not in `cpu`). */
  agent?: number;
}
/** Wall time and CPU (user + system of the command and every child it waited for: ssh clients, fab's node). */
function timed(cmd: string, args: string[], cwd = root): Cost {
  const r = spawnSync('/usr/bin/time', ['-f', 'TIME %e %U %S', cmd, ...args], {
    env,
    cwd,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const m = /TIME (\S+) (\S+) (\S+)\s*$/.exec(String(r.stderr));
  if (r.status !== 0 || !m)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
  return { wall: Number(m[1]), cpu: Number(m[2]) + Number(m[3]) };
}
const sh = (script: string) => () => timed('sh', ['-c', script]);
const ssh = `ssh -F ${cfg} -o BatchMode=yes`;
const fresh = `${ssh} -o KexAlgorithms=curve25519-sha256`;
const viaMaster = `${ssh} -o ControlMaster=no -o ControlPath=${cm}/%n`;
const xargs = (hosts: string[], perHost: string) =>
  `printf '%s\\n' ${hosts.join(' ')} | xargs -P ${conc} -I{} sh -c '${perHost}'`;
const fab = (args: string[]) => () => timed(fabBin, args);
const npxFab = (args: string[]) => () => timed('npx', ['fab', ...args]);

/** user + system seconds of the fab agent serving this bench (found by its socket path under our XDG dir). */
function agentCpu(): number {
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
      if (!argv.some((a) => a.endsWith('agent/main.js')) || !argv.some((a) => a.startsWith(xdg))) continue;
      const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
      return (Number(f[11]) + Number(f[12])) / 100;
    } catch {
      /* gone */
    }
  }
  return 0;
}
const withAgent = (f: () => Cost) => (): Cost => {
  const before = agentCpu();
  const c = f();
  return { ...c, agent: agentCpu() - before };
};

function startMasters(hosts: string[]): void {
  const r = spawnSync(
    'sh',
    ['-c', xargs(hosts, `${fresh} -o ControlMaster=yes -o ControlPath=${cm}/%n -o ControlPersist=600 -fN {}`)],
    { env },
  );
  if (r.status !== 0) throw new Error(`starting masters failed: ${String(r.stderr)}`);
}
const stopMasters = (hosts: string[]) =>
  spawnSync('sh', ['-c', xargs(hosts, `${ssh} -o ControlPath=${cm}/%n -O exit {} 2>/dev/null`)]);

/** Runs every case `runs` times, alternating, and prints medians and ratios to the first case. */
function compare(title: string, cases: Record<string, () => Cost>): Record<string, Cost> {
  const times: Record<string, Cost[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let r = 0; r < runs; r++) for (const [k, f] of Object.entries(cases)) times[k]!.push(f());
  const med = Object.fromEntries(
    Object.entries(times).map(([k, t]): [string, Cost] => {
      const agent = t.some((x) => x.agent !== undefined) ? { agent: median(t.map((x) => x.agent ?? 0)) } : {};
      return [k, { wall: median(t.map((x) => x.wall)), cpu: median(t.map((x) => x.cpu)), ...agent }];
    }),
  );
  const base = Object.values(med)[0]!;
  console.log(`\n${title} (median of ${runs}; wall, ratio | client CPU, ratio | + the agent's CPU, ratio)`);
  for (const [k, m] of Object.entries(med)) {
    const ratio = (a: number, b: number) => `${(a / b).toFixed(2)}x`;
    const agent = m.agent === undefined ? '' : ` | +${fmt(m.agent)} ${ratio(m.cpu + m.agent, base.cpu)}`;
    console.log(
      `  ${k.padEnd(34)} ${fmt(m.wall)} ${ratio(m.wall, base.wall)} | ${fmt(m.cpu)} ${ratio(m.cpu, base.cpu)}${agent}`,
    );
  }
  return med;
}

const results: Record<string, unknown> = { runs, concurrency: conc, loadavg: loadavg() };
try {
  for (const n of sizes) {
    const hosts = names(n);
    const adhoc = ['lab', '-H', hosts.join(','), '-P', '-z', String(conc), '--hide', 'everything'];
    const warm = [...adhoc, '--persist', '10m', '--', 'true'];
    const warmOpenSsh = [...adhoc, '--ssh-client', 'openssh', '--persist', '10m', '--', 'true'];
    startMasters(hosts);
    // The first runs open the agent's connections and fab's masters; every timed run below is a later one.
    fab(warm)();
    fab(warmOpenSsh)();
    results[`adhoc${n}`] = compare(`ad-hoc 'true' on ${n} hosts, ratio to raw OpenSSH fresh`, {
      'OpenSSH fresh (xargs -P 10 ssh)': sh(xargs(hosts, `${fresh} {} true`)),
      'OpenSSH warm ControlMaster': sh(xargs(hosts, `${viaMaster} {} true`)),
      'fab --persist, agent (fab binary)': withAgent(fab(warm)),
      'fab --persist, agent (npx fab)': withAgent(npxFab(warm)),
      'fab --persist --ssh-client openssh': fab(warmOpenSsh),
      'fab cold (ssh2, default)': fab([...adhoc, '--', 'true']),
    });
    stopMasters(hosts);
  }
  const hosts = names(taskHosts);
  const task = ['-f', fixtures, 'lab', '-H', hosts.join(','), '-P', '-z', String(conc), '--hide', 'everything'];
  const steps = [0, 1, 2, 3, 4].map((i) => `${viaMaster} {} echo ${i} >/dev/null`).join(' && ');
  const oneMaster = `${fresh} -o ControlMaster=yes -o ControlPath=${cm}/%n -o ControlPersist=60 -fN {} && ${steps} && ${ssh} -o ControlPath=${cm}/%n -O exit {} 2>/dev/null`;
  const warmTask = [...task, '--persist', '10m', 'manyCommands', '--n', '5'];
  const warmTaskOpenSsh = [...task, '--ssh-client', 'openssh', '--persist', '10m', 'manyCommands', '--n', '5'];
  fab(warmTask)();
  fab(warmTaskOpenSsh)();
  results.task = compare(`5-step task on ${taskHosts} hosts, ratio to OpenSSH with one fresh ControlMaster per host`, {
    'OpenSSH, a fresh master per host': sh(xargs(hosts, oneMaster)),
    'fab --persist, agent (fab binary)': withAgent(fab(warmTask)),
    'fab --persist, agent (npx fab)': withAgent(npxFab(warmTask)),
    'fab --persist --ssh-client openssh': fab(warmTaskOpenSsh),
    'fab cold (ssh2, default)': fab([...task, 'manyCommands', '--n', '5']),
    'OpenSSH warm masters': () => {
      startMasters(hosts);
      const t = sh(xargs(hosts, steps))();
      stopMasters(hosts);
      return t;
    },
  });
} finally {
  results.loadavgEnd = loadavg();
  const load = (l: number[]) => l.map((x) => x.toFixed(1)).join(' ');
  console.log(`\nload average at the start ${load(results.loadavg as number[])}, at the end ${load(loadavg())}`);
  spawnSync(fabBin, ['--persist-stop'], { env });
  await lab.remove();
}
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'warm.json'),
  `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
);
