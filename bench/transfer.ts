/**
 * Transfer benchmark: one big file up and down between this machine and one lab host, fab next to
 * OpenSSH's scp, sftp and `ssh cat` on the same host, alternating (each round starts with the next tool), in
 * one run (scp and ssh cat also with fab's cipher, aes128-gcm). fab's get of a plain file runs `cat` over an
 * exec channel (ssh-get.ts). Every copy is removed (untimed) once checked, so every tool writes a new file
 * with the same memory in use: on this machine, writing into memory not just freed costs several times more
 * system CPU, and tools that truncate an old copy in place reuse its pages where fab's temp file + rename
 * cannot (`--overwrite` keeps the copies, to see that). Goal: fab's throughput at least 80 % of the fastest
 * OpenSSH run, and fab's peak RSS under 150 MB whatever the file size.
 * Run as root (the lab needs namespaces): npm run bench:transfer [-- --mib 1024 --runs 3]
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
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

const overwrite = process.argv.includes('--overwrite');

interface Measured {
  s: number;
  rssMb: number;
  /** Client CPU: user + system of the command and its children. */
  cpuS: number;
}

/** Wall time (s), peak RSS (MB) and CPU (s) from GNU time; throws if the command fails. */
function measure(args: string[], env: NodeJS.ProcessEnv, input?: string): Measured {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e %U %S', ...args], {
    env,
    cwd: root,
    input,
    maxBuffer: 16 * 1024 * 1024,
  });
  const err = String(r.stderr).trim().split('\n');
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${err.slice(-5).join('\n')}`);
  const [kb, s, user, sys] = err.at(-1)!.split(' ').map(Number);
  return { s: s!, rssMb: kb! / 1024, cpuS: user! + sys! };
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
  copyFileSync(src, join(hostSrv, 'big.src'));
  chmodSync(join(hostSrv, 'big.src'), 0o644);
  const env = { ...process.env, FAB_LAB_DIR: labDir, NO_COLOR: '1' };
  const cfg = ['-F', lab.state.sshConfig, '-o', 'BatchMode=yes'];
  const GCM = ['-o', 'Ciphers=aes128-gcm@openssh.com'];
  const q = (a: string[]) => a.map((x) => `'${x}'`).join(' ');
  /** `ssh HOST cat`, the plainest OpenSSH copy (no SFTP), through sh for the redirections. */
  const sshCat = (suffix: string, opts: string[]) => ({
    put: () => measure(['sh', '-c', `ssh ${q([...cfg, ...opts])} web1 'cat > /srv/big.${suffix}' < '${src}'`], env),
    get: () =>
      measure(['sh', '-c', `ssh ${q([...cfg, ...opts])} web1 cat /srv/big.src > '${work}/back.${suffix}'`], env),
  });
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
  const tools: Record<string, { put: () => Measured; get: () => Measured }> = {
    fab: {
      put: () => measure(fabCmd('doPut', '--local', src, '--remote', '/srv/big.fab'), env),
      get: () => measure(fabCmd('doGet', '--remote', '/srv/big.src', '--local', join(work, 'back.fab')), env),
    },
    ...(base
      ? {
          'fab-base': {
            put: () => measure(fabOf(base, 'doPut', '--local', src, '--remote', '/srv/big.fab-base'), env),
            get: () =>
              measure(fabOf(base, 'doGet', '--remote', '/srv/big.src', '--local', join(work, 'back.fab-base')), env),
          },
        }
      : {}),
    scp: {
      put: () => measure(['scp', ...cfg, '-q', src, 'web1:/srv/big.scp'], env),
      get: () => measure(['scp', ...cfg, '-q', 'web1:/srv/big.src', join(work, 'back.scp')], env),
    },
    sftp: {
      put: () => measure(['sftp', ...cfg, '-q', '-b', '-', 'web1'], env, `put ${src} /srv/big.sftp\n`),
      get: () =>
        measure(['sftp', ...cfg, '-q', '-b', '-', 'web1'], env, `get /srv/big.src ${join(work, 'back.sftp')}\n`),
    },
    // OpenSSH picks chacha20-poly1305 and ssh2 aes128-gcm: the same cipher on both sides, for a like-for-like figure.
    'scp-gcm': {
      put: () => measure(['scp', ...cfg, ...GCM, '-q', src, 'web1:/srv/big.scp-gcm'], env),
      get: () => measure(['scp', ...cfg, ...GCM, '-q', 'web1:/srv/big.src', join(work, 'back.scp-gcm')], env),
    },
    'ssh-cat': sshCat('ssh-cat', []),
    'ssh-cat-gcm': sshCat('ssh-cat-gcm', GCM),
  };
  const dest = (dir: 'put' | 'get', name: string) =>
    dir === 'put' ? join(hostSrv, `big.${name}`) : join(work, `back.${name}`);
  for (const dir of ['put', 'get'] as const) {
    const times: Record<string, number[]> = {};
    const rss: Record<string, number[]> = {};
    const cpu: Record<string, number[]> = {};
    // The issue's goal compares with scp and sftp; `ssh cat` (no SFTP at all) is shown beside it.
    const ratios: number[] = [];
    const catRatios: number[] = [];
    const names = Object.keys(tools);
    const openssh = names.filter((n) => !n.startsWith('fab'));
    const scpSftp = openssh.filter((n) => !n.startsWith('ssh-cat'));
    const load = [loadavg()[0]!];
    // Every get reads the same file (in the page cache), and every copy is removed once checked: one file
    // and one copy at a time, so the machine's memory use is the same for every tool and every round.
    for (let i = 0; i < runs; i++) {
      // Each round starts with the next tool, so no tool always runs right after the same one.
      for (const name of [...names.slice(i % names.length), ...names.slice(0, i % names.length)]) {
        if (!overwrite) rmSync(dest(dir, name), { force: true });
        const m = tools[name]![dir]();
        (times[name] ??= []).push(m.s);
        (rss[name] ??= []).push(m.rssMb);
        (cpu[name] ??= []).push(m.cpuS);
        const got = statSync(dest(dir, name)).size;
        if (got !== bytes) throw new Error(`${name} ${dir}: ${got} bytes arrived, ${bytes} sent`);
        if (!overwrite) rmSync(dest(dir, name));
      }
      load.push(loadavg()[0]!);
      const round = (n: string) => mib / times[n]!.at(-1)!;
      ratios.push(round('fab') / Math.max(...scpSftp.map(round)));
      catRatios.push(round('fab') / Math.max(...openssh.map(round)));
      console.log(
        `  ${dir} round ${i + 1} (load ${load.at(-2)!.toFixed(1)} -> ${load.at(-1)!.toFixed(1)}): ` +
          `${names.map((n) => `${n} ${round(n).toFixed(1)}`).join(', ')} MiB/s; ` +
          `fab / best scp|sftp of the round ${(ratios.at(-1)! * 100).toFixed(0)} %, ` +
          `/ best incl. ssh cat ${(catRatios.at(-1)! * 100).toFixed(0)} %`,
      );
    }
    const mbps = (name: string) => mib / median(times[name]!);
    const best = Math.max(...scpSftp.map(mbps));
    const bestAll = Math.max(...openssh.map(mbps));
    results[dir] = Object.fromEntries(
      names.map((n) => [
        n,
        { medianS: median(times[n]!), mibPerS: mbps(n), cpuS: median(cpu[n]!), peakRssMb: Math.max(...rss[n]!) },
      ]),
    );
    Object.assign(results[dir] as object, {
      fabVsBest: mbps('fab') / best,
      fabVsBestWithCat: mbps('fab') / bestAll,
      roundRatios: ratios,
      roundRatiosWithCat: catRatios,
      loadAverage: load,
    });
    const pct = (x: number) => `${(x * 100).toFixed(0)} %`;
    console.log(
      `${dir} ${mib} MiB (median of ${runs}): ` +
        names.map((n) => `${n} ${mbps(n).toFixed(1)} MiB/s (${median(cpu[n]!).toFixed(2)} CPU-s)`).join(', ') +
        `; fab/best scp|sftp ${pct(mbps('fab') / best)} (rounds ${pct(Math.min(...ratios))}-${pct(Math.max(...ratios))})` +
        `; fab/best incl. ssh cat ${pct(mbps('fab') / bestAll)}` +
        ` (rounds ${pct(Math.min(...catRatios))}-${pct(Math.max(...catRatios))})` +
        `; fab peak RSS ${Math.max(...rss.fab!).toFixed(0)} MB` +
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
  `${JSON.stringify({ date: new Date().toISOString(), mib, runs, overwrite, results }, null, 2)}\n`,
);
