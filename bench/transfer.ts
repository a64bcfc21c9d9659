/**
 * Transfer benchmark: one big file up and down between this machine and one lab host, fab next to
 * OpenSSH's scp and sftp on the same host, alternating (each round starts with the next tool), in one run
 * (scp also with fab's cipher, aes128-gcm). fab's get of a plain file runs `cat` over an exec channel (ssh-get.ts).
 * Goal: fab's throughput at least 80 % of the fastest OpenSSH run, and fab's peak RSS under 150 MB whatever the file size.
 * Run as root (the lab needs namespaces): npm run bench:transfer [-- --mib 1024 --runs 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { argOf } from './args.js';
import { median } from './measure.js';

const mib = Number(argOf('mib', '1024'));
const runs = Number(argOf('runs', '3'));
/** Another build's bin/fab.js (e.g. the commit before a change), timed as the tool `fab-base`, side by side. */
const base = argOf('base', '');
const root = repoRoot();
const fab = join(root, 'bin', 'fab.js');
const fabfile = join(root, 'test', 'fixtures', 'fabfiles', 'ssh.ts');
const labDir = labDir_('lab-bench');
const work = join(labDir, 'transfer');

/** Wall time (s) and peak RSS (MB) from GNU time; throws if the command fails. */
function measure(args: string[], env: NodeJS.ProcessEnv, input?: string): { s: number; rssMb: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', ...args], {
    env,
    cwd: root,
    input,
    maxBuffer: 16 * 1024 * 1024,
  });
  const err = String(r.stderr).trim().split('\n');
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${err.slice(-5).join('\n')}`);
  const [kb, s] = err.at(-1)!.split(' ').map(Number);
  return { s: s!, rssMb: kb! / 1024 };
}

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web: 1 });
const results: Record<string, unknown> = {};
try {
  rmSync(work, { recursive: true, force: true });
  mkdirSync(work, { recursive: true });
  const src = join(work, 'big.bin');
  // Random bytes: nothing on the way can shortcut zeros.
  spawnSync('sh', ['-c', `head -c ${mib}M /dev/urandom > ${src}`]);
  const bytes = statSync(src).size;
  const hostSrv = join(lab.host('web1').root, 'srv');
  const env = { ...process.env, FAB_LAB_DIR: labDir, NO_COLOR: '1' };
  const cfg = ['-F', lab.state.sshConfig, '-o', 'BatchMode=yes'];
  const GCM = ['-o', 'Ciphers=aes128-gcm@openssh.com'];
  const fabCmd = (...a: string[]) => fabOf(fab, ...a);
  const fabOf = (bin: string, ...a: string[]) => [
    process.execPath,
    bin,
    '-f',
    fabfile,
    'lab',
    '-H',
    'web1',
    '--hide',
    'running',
    ...a,
  ];
  const tools: Record<string, { put: () => ReturnType<typeof measure>; get: () => ReturnType<typeof measure> }> = {
    fab: {
      put: () => measure(fabCmd('doPut', '--local', src, '--remote', '/srv/big.fab'), env),
      get: () => measure(fabCmd('doGet', '--remote', '/srv/big.fab', '--local', join(work, 'back.fab')), env),
    },
    ...(base
      ? {
          'fab-base': {
            put: () => measure(fabOf(base, 'doPut', '--local', src, '--remote', '/srv/big.fab-base'), env),
            get: () =>
              measure(
                fabOf(base, 'doGet', '--remote', '/srv/big.fab-base', '--local', join(work, 'back.fab-base')),
                env,
              ),
          },
        }
      : {}),
    scp: {
      put: () => measure(['scp', ...cfg, '-q', src, 'web1:/srv/big.scp'], env),
      get: () => measure(['scp', ...cfg, '-q', 'web1:/srv/big.scp', join(work, 'back.scp')], env),
    },
    sftp: {
      put: () => measure(['sftp', ...cfg, '-q', '-b', '-', 'web1'], env, `put ${src} /srv/big.sftp\n`),
      get: () =>
        measure(['sftp', ...cfg, '-q', '-b', '-', 'web1'], env, `get /srv/big.sftp ${join(work, 'back.sftp')}\n`),
    },
    // OpenSSH picks chacha20-poly1305 and ssh2 aes128-gcm: the same cipher on both sides, for a like-for-like figure.
    'scp-gcm': {
      put: () => measure(['scp', ...cfg, ...GCM, '-q', src, 'web1:/srv/big.scp-gcm'], env),
      get: () => measure(['scp', ...cfg, ...GCM, '-q', 'web1:/srv/big.scp-gcm', join(work, 'back.scp-gcm')], env),
    },
  };
  for (const dir of ['put', 'get'] as const) {
    const times: Record<string, number[]> = {};
    const rss: Record<string, number[]> = {};
    const names = Object.keys(tools);
    const load = [loadavg()[0]!];
    for (let i = 0; i < runs; i++) {
      // Each round starts with the next tool, so no tool always runs right after the same one.
      for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
        const m = tools[name]![dir]();
        (times[name] ??= []).push(m.s);
        (rss[name] ??= []).push(m.rssMb);
        const got = statSync(dir === 'put' ? join(hostSrv, `big.${name}`) : join(work, `back.${name}`)).size;
        if (got !== bytes) throw new Error(`${name} ${dir}: ${got} bytes arrived, ${bytes} sent`);
      }
      load.push(loadavg()[0]!);
      console.log(
        `  ${dir} round ${i + 1}: ${names.map((n) => `${n} ${(mib / times[n]!.at(-1)!).toFixed(1)}`).join(', ')} MiB/s`,
      );
    }
    const mbps = (name: string) => mib / median(times[name]!);
    const best = Math.max(
      ...Object.keys(tools)
        .filter((n) => !n.startsWith('fab'))
        .map(mbps),
    );
    results[dir] = Object.fromEntries(
      Object.keys(tools).map((n) => [
        n,
        { medianS: median(times[n]!), mibPerS: mbps(n), peakRssMb: Math.max(...rss[n]!) },
      ]),
    );
    Object.assign(results[dir] as object, { fabVsBest: mbps('fab') / best, loadAverage: load });
    console.log(
      `${dir} ${mib} MiB (median of ${runs}): ` +
        Object.keys(tools)
          .map((n) => `${n} ${mbps(n).toFixed(1)} MiB/s`)
          .join(', ') +
        `; fab/best OpenSSH ${((mbps('fab') / best) * 100).toFixed(0)} %; fab peak RSS ${Math.max(...rss.fab!).toFixed(0)} MB` +
        `; load average ${load.map((l) => l.toFixed(1)).join(' -> ')}`,
    );
  }
} finally {
  rmSync(work, { recursive: true, force: true });
  await lab.remove();
}
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'transfer.json'),
  `${JSON.stringify({ date: new Date().toISOString(), mib, runs, results }, null, 2)}\n`,
);
