/**
 * Database recipes against the same work done by hand over ssh, side by side (the cases rotate their order every run;
 * medians, and the two modes apart when a case is bimodal):
 * - backup: `fab lab -H db1 backup` (one remote script: tool, dir, --backup, --prepare, rename, keep 1, du); the same
 *   commands as a user types them, one fresh `ssh db1 sudo ...` each (like to like with fab cold); fab's script
 *   replayed by hand (the same command line and stdin, over one OpenSSH ssh); ONE ssh running ONE `sudo sh -c` with the
 *   same steps (the strictest baseline); with --persist, fab over a warm connection opened before the timing (fab's
 *   agent, `--persist 2m`, or with --warm openssh an OpenSSH master) against the typed commands over a warm
 *   OpenSSH ControlMaster;
 * - restore: the same ways, from the same backup;
 * - fab's fixed cost: `fab -- sudo true` against `ssh sudo true`, `fab --version`, `node -e 0`;
 * - failover: time from db1's SIGTERM to the first query answered by db2 through HAProxy (a new client every 100 ms).
 * Run as root: npm run bench:db [-- --runs 7 --mb 200,1000 --failovers 3 --persist [--warm openssh]]
 * FABTS_LAB_ROOT=/dev/shm/fabts-lab puts the lab (datadirs, backups) on tmpfs: the disk's noise out.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { rootSql } from '../test/lab/db.js';
import { startLab } from '../test/lab/lab.js';
import { mustRun } from '../test/lab/proc.js';
import { LAB_NETS, labDir, repoRoot } from '../test/lab/repo.js';
import { fmt, median, timeCommand } from './measure.js';
import { report, row, type Case } from './db-report.js';
import { failovers } from './db-failover.js';
import { argOf } from './args.js';
import { byHandBackup, byHandRestore, captureFabCommand, master, STUB_TOOL, timed, timeSsh } from './db-cases.js';
import { timeTyped, typedBackup, typedRestore, type Timing } from './db-cases.js';

const runs = Number(argOf('runs', '3'));
const sizes = argOf('mb', '200').split(',').map(Number);
const nFailovers = Number(argOf('failovers', '3'));
const stubRuns = Number(argOf('stub-runs', '15'));
const persist = process.argv.includes('--persist');
const root = repoRoot();
const dir = labDir('lab-bench-db');
process.env.FAB_LAB_DIR = dir; // hosts/lab.ts, read here too to capture fab's script
const env = { ...process.env, NO_COLOR: '1' };
/** --warm agent (the default: fab's own ssh2 agent, `--persist`) or openssh (`--ssh-client openssh --persist`). */
const warmKind = argOf('warm', 'agent') === 'openssh' ? 'openssh' : 'agent';
const WARM = [...(warmKind === 'openssh' ? ['--ssh-client', 'openssh'] : []), '--persist', '2m'];
const warmLabel = warmKind === 'openssh' ? '--ssh-client openssh --persist' : '--persist, the fab agent';
const fabArgs = (...a: string[]) => [join(root, 'bin/fab.js'), 'lab', '-H', 'db1', ...a];
// async: the lab's own mariadbd is this process's child, and must be reaped when fab stops it
const fabTimed = (...a: string[]) => timed(process.execPath, fabArgs(...a), { cwd: root, env });

const CASES: Case[] = ['fab', 'script', 'hand', 'typed', ...(persist ? (['warm', 'cm'] as const) : [])];
/** The order of the cases in run i: rotated, so that none always follows the same one. */
const order = (i: number): Case[] => CASES.map((_, k) => CASES[(i + k) % CASES.length]!);
/** The 1, 5 and 15 min load averages: every figure is printed with them. */
const load = () =>
  loadavg()
    .map((l) => l.toFixed(1))
    .join(' ');
/** Untimed, before every timed run: the page cache's dirty data (the last backup's 200 MB) is written now, not during
 * the next case (sync is machine-wide: the lab hosts share this kernel). */
const settle = () => spawnSync('sync');
const empty = () => Object.fromEntries(CASES.map((c) => [c, [] as Timing[]])) as Record<Case, Timing[]>;

const lab = await startLab({ dir, net: LAB_NETS.bench, web: 0, db: true });
try {
  const db = lab.state.db!;
  const cfg = lab.state.sshConfig;
  const sshTimed = (script: string) => timeSsh(cfg, 'db1', `sudo sh -c '${script}'`);
  const cm = `${dir}/cm-db1`; // a user's ControlMaster (ControlPersist), opened before the timing
  const typed = (cmds: string[], c: Case) => timeTyped(cfg, 'db1', cmds, c === 'cm' ? cm : undefined);
  const untimed = (script: string) => mustRun('ssh', ['-F', cfg, 'db1', `sudo sh -c '${script}'`]);
  const aside = `${db.datadir}.by-hand-aside`;
  const roots: Record<Case, string> = {
    fab: db.backupRoot,
    script: '/srv/bench-script',
    hand: '/srv/by-hand',
    warm: '/srv/bench-warm',
    typed: '/srv/bench-typed',
    cm: '/srv/bench-cm',
  };
  if (persist) await fabTimed(...WARM, '--', 'true'); // opens the master the warm case reuses
  if (persist) master(cfg, 'db1', cm, 'open');
  // fab's fixed cost for one sudo command on db1 (start-up, host set, connection; an ad-hoc command loads no fabfiles)
  const fixed = { fab: [] as Timing[], hand: [] as Timing[], warm: [] as Timing[], cm: [] as Timing[] };
  for (let i = 0; i < 10; i++) {
    fixed.fab.push(await fabTimed('--', 'sudo true'));
    fixed.hand.push(await sshTimed('true'));
    if (persist) fixed.warm.push(await fabTimed(...WARM, '--', 'sudo true'));
    if (persist) fixed.cm.push(await typed(['true'], 'cm'));
  }
  const med = (ts: Timing[], k: keyof Timing) => median(ts.map((t) => t[k]));
  const startup = {
    fabSudoTrue: med(fixed.fab, 'wall'),
    sshSudoTrue: med(fixed.hand, 'wall'),
    ...(persist ? { warmSudoTrue: med(fixed.warm, 'wall'), cmSudoTrue: med(fixed.cm, 'wall') } : {}),
    cpu: {
      fab: med(fixed.fab, 'cpu'),
      ssh: med(fixed.hand, 'cpu'),
      ...(persist ? { warm: med(fixed.warm, 'cpu'), cm: med(fixed.cm, 'cpu') } : {}),
    },
    fabVersion: median(
      Array.from({ length: 10 }, () => timeCommand(process.execPath, [join(root, 'bin/fab.js'), '--version'])),
    ),
    node: median(Array.from({ length: 10 }, () => timeCommand(process.execPath, ['-e', '0']))),
    runs: fixed,
  };
  console.log(
    `[load ${load()}] start-up: fab --version ${fmt(startup.fabVersion)}, node -e 0 ${fmt(startup.node)}; ` +
      `fab lab -H db1 -- sudo true ${fmt(startup.fabSudoTrue)} (CPU ${fmt(startup.cpu.fab)}) against ` +
      `ssh db1 sudo true ${fmt(startup.sshSudoTrue)} (CPU ${fmt(startup.cpu.ssh)})` +
      (persist
        ? `; warm (${warmLabel}) ${fmt(startup.warmSudoTrue!)} (CPU ${fmt(startup.cpu.warm!)}), ssh over a ` +
          `ControlMaster ${fmt(startup.cmSudoTrue!)} (CPU ${fmt(startup.cpu.cm!)})`
        : ''),
  );

  await rootSql(
    lab.state,
    'db1',
    'CREATE TABLE shop.pad (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1000)) ENGINE=InnoDB',
  );
  // the steps around the tool alone: the same three ways with a stub that only says `completed OK!`, so the tool's
  // own time (and its noise) is out; the difference is fab's (and its script's) overhead in seconds
  writeFileSync(`${lab.state.hosts.db1!.root}${STUB_TOOL.path}`, STUB_TOOL.text, { mode: 0o755 });
  await untimed('mkdir -p -m 700 /srv/stub-typed /srv/stub-cm');
  const stub = Object.fromEntries(CASES.map((c) => [c, [] as Timing[]]));
  const stubSet = (c: string) => [
    '--set',
    'backupKeep=1',
    '--set',
    `backupRoot=/srv/stub-${c}`,
    '--set',
    `backupTool=${STUB_TOOL.path}`,
  ];
  for (let i = 1; i <= stubRuns; i++) {
    stub.fab!.push(await fabTimed(...stubSet('fab'), 'backup'));
    const s = await captureFabCommand(
      'db1',
      { backup: true },
      { backupKeep: '1', backupRoot: '/srv/stub-script', backupTool: STUB_TOOL.path },
    );
    stub.script!.push(await timeSsh(cfg, 'db1', s.command, s.stdin));
    stub.hand!.push(await sshTimed(byHandBackup(db, '/srv/stub-hand', i, STUB_TOOL.path)));
    stub.typed!.push(await typed(typedBackup(db, '/srv/stub-typed', i, STUB_TOOL.path), 'typed'));
    if (persist) stub.warm!.push(await fabTimed(...WARM, ...stubSet('warm'), 'backup'));
    if (persist) stub.cm!.push(await typed(typedBackup(db, '/srv/stub-cm', i, STUB_TOOL.path), 'cm'));
  }
  const stubbed = Object.fromEntries(
    Object.entries(stub).map(([c, ts]) => [
      c,
      { wall: med(ts, 'wall'), cpu: med(ts, 'cpu'), runs: ts.map((t) => t.wall) },
    ]),
  );
  console.log(
    `[load ${load()}] backup with a stub tool (everything but mariabackup), medians of ${stubRuns}: ` +
      Object.entries(stubbed)
        .map(([c, x]) => `${c} ${fmt(x.wall)} (CPU ${fmt(x.cpu)})`)
        .join(', ') +
      `\n` +
      Object.entries(stubbed)
        .map(([c, x]) => `  ${c.padEnd(6)} ${x.runs.map((v) => v.toFixed(2)).join(' ')}`)
        .join('\n'),
  );

  let filled = 0;
  const results = [];
  for (const mb of sizes) {
    const t0 = Date.now();
    for (; filled < mb; filled += 10) {
      // ~1 KB of incompressible text per row, 10 MB per statement
      await rootSql(
        lab.state,
        'db1',
        'USE shop; INSERT INTO pad (v) SELECT REPEAT(MD5(RAND()), 31) FROM seq_1_to_10000',
      );
    }
    console.log(`filled db1 to ${mb} MB of rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await untimed(`rm -rf ${Object.values(roots).join(' ')} && mkdir -m 700 ${roots.typed} ${roots.cm}`);
    const backup = empty();
    const restore = empty();
    const backupOnce = async (c: Case, i: number): Promise<Timing> => {
      const keep = ['--set', 'backupKeep=1', '--set', `backupRoot=${roots[c]}`];
      if (c === 'fab') return fabTimed(...keep, 'backup');
      if (c === 'warm') return fabTimed(...WARM, ...keep, 'backup');
      if (c === 'hand') return sshTimed(byHandBackup(db, roots.hand, i));
      if (c === 'typed' || c === 'cm') return typed(typedBackup(db, roots[c], i), c);
      // captured now: the stamp in it is this second's
      const s = await captureFabCommand('db1', { backup: true }, { backupKeep: '1', backupRoot: roots.script });
      return timeSsh(cfg, 'db1', s.command, s.stdin);
    };
    const loadBefore = load();
    for (let i = 1; i <= runs; i++) {
      for (const c of order(i)) {
        settle();
        backup[c].push(await backupOnce(c, i));
      }
    }
    const src = `${db.backupRoot}/${readdirSync(`${lab.state.hosts.db1!.root}${db.backupRoot}`)
      .filter((n) => /^\d{4}-/.test(n))
      .sort()
      .pop()}`;
    const restoreOnce = async (c: Case): Promise<Timing> => {
      if (c === 'fab') return fabTimed('restore', src);
      if (c === 'warm') return fabTimed(...WARM, 'restore', src);
      if (c === 'hand') return sshTimed(byHandRestore(db, src, aside));
      if (c === 'typed' || c === 'cm') return typed(typedRestore(db, src, aside), c);
      const s = await captureFabCommand('db1', { restore: src });
      return timeSsh(cfg, 'db1', s.command, s.stdin);
    };
    for (let i = 1; i <= runs; i++) {
      for (const c of order(i)) {
        settle();
        restore[c].push(await restoreOnce(c));
        await untimed(`rm -rf ${db.datadir}.before-restore-* ${aside}`);
      }
    }
    const r = { mb, load: `${loadBefore} -> ${load()}`, backup: row(CASES, backup), restore: row(CASES, restore) };
    console.log(report('backup', mb, runs, r.load, CASES, r.backup));
    console.log(report('restore', mb, runs, r.load, CASES, r.restore));
    results.push(r);
  }

  const fo = await failovers(lab, nFailovers, root, env);
  const res = {
    date: new Date().toISOString(),
    runs,
    startup,
    stubbed,
    results,
    failover: fo,
  };
  mkdirSync(join(root, '.fab/bench'), { recursive: true });
  writeFileSync(join(root, '.fab/bench/db.json'), JSON.stringify(res, null, 2) + '\n');
} finally {
  if (persist) master(lab.state.sshConfig, 'db1', `${dir}/cm-db1`, 'exit');
  await lab.remove();
}
