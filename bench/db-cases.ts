/**
 * The cases bench/db.ts times side by side, apart from fab itself:
 * - the same work typed by hand: ONE ssh running ONE `sudo sh -c` (password on the command line, as people type it);
 * - the same commands as a user types them: one fresh `ssh db1 sudo ...` per command (typedBackup, typedRestore), and
 *   the same over a warm OpenSSH ControlMaster (the like of fab --persist);
 * - fab's own remote script replayed by hand: the exact command line and stdin fab sends (captured by running the
 *   recipe on a scripted host with db1's settings from hosts/lab.ts), over ONE OpenSSH ssh. Its time minus the
 *   by-hand line is what the script adds; fab's time minus it is what fab adds (start-up, loading, handshake, output).
 */
import { spawn, spawnSync } from 'node:child_process';
import { arg, mysqlBackup, task } from '../lib/index.js';
import { targetsOf } from '../lib/model/hostset.js';
import { PID_ALIVE } from '../lib/system/service.js';
import { runTask, ScriptedTransport } from '../lib/testing/index.js';
import type { LabDb } from '../test/lab/types.js';
import { lab } from '../hosts/lab.js';

/** mkdir, --backup and --prepare with their output to a file, rename, drop the previous one, du: what fab's script does. */
export function byHandBackup(db: LabDb, root: string, i: number, tool = 'mariabackup'): string {
  const t = `${root}/b${i}`;
  return (
    `mkdir -p -m 700 ${root} && mkdir -m 700 ${t}.partial && ` +
    `${tool} --defaults-file=${db.conf} --user=${db.user} --password=${db.password} --backup --target-dir=${t}.partial >/tmp/bk.log 2>&1 && ` +
    `${tool} --prepare --target-dir=${t}.partial >/tmp/bk.log 2>&1 && mv -T ${t}.partial ${t} && ` +
    `rm -rf ${root}/b${i - 1} && du -sb ${t}`
  );
}

/** A stand-in for mariabackup that does nothing and says it went well: times the steps around the tool alone. */
export const STUB_TOOL = {
  path: '/srv/bench-stub-backup',
  // it makes its --target-dir, as mariabackup --backup does (the typed case's du needs it)
  text: '#!/bin/sh\nfor a; do case $a in --target-dir=*) mkdir -p "${a#*=}" ;; esac; done\necho "[00] completed OK!"\n',
};

/** The lab has no systemd: `systemctl stop mariadb` there is TERM and a wait until the server has exited (a zombie
 * waiting for this sandbox's init to reap it has: fab's own stop, lib/system/service.ts, waits the same way). */
const stopServer = (db: LabDb) =>
  `${PID_ALIVE}; p=$(cat ${db.pidFile}) && kill -TERM $p && while alive $p; do sleep 0.1; done`;
/** `systemctl start mariadb` (which returns once the server is up): the lab's start, then SELECT 1 every 0.1 s. */
const startServer = (db: LabDb) =>
  `{ ${db.start} } && ` + // the lab's start command ends in `&`
  `until mariadb --defaults-file=${db.conf} -uroot -e "SELECT 1" >/dev/null 2>&1; do sleep 0.1; done`;

/** stop (TERM, wait until gone), move the datadir aside, --copy-back, chown, start, poll SELECT 1 every 0.1 s. */
export function byHandRestore(db: LabDb, src: string, aside: string): string {
  return (
    `${stopServer(db)} && ` +
    `mv -T ${db.datadir} ${aside} && mkdir -m 750 ${db.datadir} && chown mysql: ${db.datadir} && ` +
    `mariabackup --defaults-file=${db.conf} --copy-back --target-dir=${src} >/tmp/rs.log 2>&1 && chown -R mysql: ${db.datadir} && ` +
    startServer(db)
  );
}

/** As a user types a backup: one `ssh db1 "sudo ..."` each (the tool's output comes back over ssh, as on a terminal).
 * `root` exists (mariabackup makes the target dir, not its parents). */
export function typedBackup(db: LabDb, root: string, i: number, tool = 'mariabackup'): string[] {
  const t = `${root}/b${i}`;
  return [
    `${tool} --defaults-file=${db.conf} --user=${db.user} --password=${db.password} --backup --target-dir=${t}`,
    `${tool} --prepare --target-dir=${t}`,
    `rm -rf ${root}/b${i - 1}`,
    `du -sb ${t}`,
  ];
}

/** As a user types a restore: stop, move aside, --copy-back (it makes the datadir), chown -R, start (and wait). */
export function typedRestore(db: LabDb, src: string, aside: string): string[] {
  return [
    stopServer(db),
    `mv -T ${db.datadir} ${aside}`,
    `mariabackup --defaults-file=${db.conf} --copy-back --target-dir=${src}`,
    `chown -R mysql: ${db.datadir}`,
    startServer(db),
  ];
}

export interface Captured {
  /** The command line fab gives the transport (sudo wrapper included). */
  command: string;
  /** What fab writes to its stdin once sudo is done (the login file). */
  stdin: string;
}

const backupTask = task({ roles: ['db'] }, (ctx) => mysqlBackup.backup(ctx));
const restoreTask = task({ roles: ['db'], args: { src: arg.string() } }, (ctx, { src }) =>
  mysqlBackup.restore(ctx, src),
);

/**
 * fab's remote script for a backup (`what` = backup) or a restore of `src`, on `host` of the lab in `FAB_LAB_DIR`, with
 * `--set` overrides: the recipe runs on a scripted host with that host's settings, which records the one command.
 */
export async function captureFabCommand(
  host: string,
  what: { backup: true } | { restore: string },
  set: Record<string, string> = {},
): Promise<Captured> {
  const target = targetsOf('lab', await lab.resolve()).find((t) => t.name === host);
  if (!target) throw new Error(`no host ${host} in the lab host set`);
  const transport = new ScriptedTransport(host).on(/./, { code: 1 });
  const hosts = { [host]: { transport, roles: target.roles, settings: target.settings } };
  if ('backup' in what) await runTask(backupTask, { hosts, set });
  else await runTask(restoreTask, { hosts, set, args: { src: what.restore } });
  const scripts = transport.commands.filter((c) => c.executed.includes('FAB_MY_CNF'));
  if (scripts.length !== 1) throw new Error(`expected one script, fab ran ${transport.commands.length} command(s)`);
  return { command: scripts[0]!.executed, stdin: scripts[0]!.stdin };
}

export interface Timing {
  /** Seconds, start to exit. */
  wall: number;
  /** The client's CPU seconds (user + system of it and every child it waited for), from GNU time: unlike the wall
   * time, it hardly depends on what else the machine runs. The remote side's CPU is not in it. */
  cpu: number;
}

const CPU_MARK = 'fab-bench-cpu:';

/** Wall time and client CPU of `cmd args` with `stdin` fed to it; throws unless it exits 0. */
export function timed(
  cmd: string,
  args: string[],
  o: { cwd?: string; env?: NodeJS.ProcessEnv; stdin?: string } = {},
): Promise<Timing> {
  const t0 = process.hrtime.bigint();
  const c = spawn('/usr/bin/time', ['-f', `${CPU_MARK}%U %S`, cmd, ...args], {
    stdio: ['pipe', 'pipe', 'pipe'],
    ...(o.cwd ? { cwd: o.cwd } : {}),
    ...(o.env ? { env: o.env } : {}),
  });
  let out = '';
  const keep = (d: Buffer) => (out = (out + d.toString()).slice(-1300));
  c.stdout.on('data', keep);
  c.stderr.on('data', keep);
  c.stdin.end(o.stdin ?? '');
  return new Promise((resolve, reject) =>
    c.on('close', (code) => {
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      const m = new RegExp(`${CPU_MARK}([\\d.]+) ([\\d.]+)`).exec(out);
      if (code === 0 && m) resolve({ wall, cpu: Number(m[1]) + Number(m[2]) });
      else reject(new Error(`${cmd} ${args.slice(0, 4).join(' ')} ... exited ${code}: ${out}`));
    }),
  );
}

/** `ssh -F cfg host command` with `stdin` fed to it; with `control`, through the master on that socket. */
export const timeSsh = (sshConfig: string, host: string, command: string, stdin = '', control?: string) =>
  timed('ssh', ['-F', sshConfig, ...(control ? ['-o', `ControlPath=${control}`] : []), host, command], { stdin });

/** One `ssh host "sudo sh -c '...'"` per command, one after the other (stopping at a failure): the sum. */
export async function timeTyped(sshConfig: string, host: string, cmds: string[], control?: string): Promise<Timing> {
  const sum: Timing = { wall: 0, cpu: 0 };
  for (const c of cmds) {
    const t = await timeSsh(sshConfig, host, `sudo sh -c '${c}'`, '', control);
    sum.wall += t.wall;
    sum.cpu += t.cpu;
  }
  return sum;
}

/** An OpenSSH master on `path` (opened before the timing, as a user's ControlPersist); `-O exit` closes it. No pipes:
 * the master forks into the background and would hold them open. */
export function master(sshConfig: string, host: string, path: string, op: 'open' | 'exit'): void {
  const a = op === 'open' ? ['-o', 'ControlMaster=yes', '-o', 'ControlPersist=30m', '-fN'] : ['-O', 'exit'];
  const r = spawnSync('ssh', ['-F', sshConfig, '-o', `ControlPath=${path}`, ...a, host], { stdio: 'ignore' });
  if (r.status !== 0 && op === 'open') throw new Error(`ssh master on ${path}: exit ${r.status}`);
}
