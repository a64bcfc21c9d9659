/**
 * The cases bench/db.ts times side by side, apart from fab itself:
 * - the same work typed by hand: ONE ssh running ONE `sudo sh -c` (password on the command line, as people type it);
 * - fab's own remote script replayed by hand: the exact command line and stdin fab sends (captured by running the
 *   recipe on a scripted host with db1's settings from hosts/lab.ts), over ONE OpenSSH ssh. Its time minus the
 *   by-hand line is what the script adds; fab's time minus it is what fab adds (start-up, loading, handshake, output).
 */
import { spawn } from 'node:child_process';
import { arg, mysqlBackup, task } from '../lib/index.js';
import { targetsOf } from '../lib/model/hostset.js';
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
export const STUB_TOOL = { path: '/srv/bench-stub-backup', text: '#!/bin/sh\necho "[00] completed OK!"\n' };

/** stop (TERM, wait until gone), move the datadir aside, --copy-back, chown, start, poll SELECT 1 every 0.1 s. */
export function byHandRestore(db: LabDb, src: string, aside: string): string {
  return (
    `p=$(cat ${db.pidFile}) && kill -TERM $p && while kill -0 $p 2>/dev/null; do sleep 0.1; done && ` +
    `mv -T ${db.datadir} ${aside} && mkdir -m 750 ${db.datadir} && chown mysql: ${db.datadir} && ` +
    `mariabackup --defaults-file=${db.conf} --copy-back --target-dir=${src} >/tmp/rs.log 2>&1 && chown -R mysql: ${db.datadir} && ` +
    `{ ${db.start} } && ` + // the lab's start command ends in `&`
    `until mariadb --defaults-file=${db.conf} -uroot -e "SELECT 1" >/dev/null 2>&1; do sleep 0.1; done`
  );
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

/** `ssh -F cfg host command` with `stdin` fed to it. */
export const timeSsh = (sshConfig: string, host: string, command: string, stdin = ''): Promise<Timing> =>
  timed('ssh', ['-F', sshConfig, host, command], { stdin });
