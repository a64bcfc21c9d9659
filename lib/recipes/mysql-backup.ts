import { BackupError, FabError, UsageError } from '../errors.js';
import type { TaskContext } from '../task/context.js';
import { runWithCredentials } from '../db/client.js';
import { serviceCommand, waitUntil } from '../system/service.js';
import { mysqlQuery, mysqlSettings, parseBinlogInfo, sqlString, stamp, type MysqlSettings } from './mysql.js';
import { backupScript, parseBackupOutput } from './mysql-backup-script.js';
import { parseRestoreOutput, restoreScript, type RestoreScriptInput } from './mysql-restore-script.js';

/**
 * Hot backups with mariabackup/xtrabackup/innobackupex into `<backupRoot>/<UTC stamp>` (written as
 * `<stamp>.partial` and renamed when backed up AND prepared), and restores that never lose the
 * current datadir: it is moved aside to `<datadir>.before-restore-<stamp>` and put back on any failure.
 */

export interface BackupResult {
  dir: string;
  tool: string;
  bytes: number;
  ms: number;
  removed: string[];
}

const tail = (ctx: TaskContext, out: string) => ctx.events.mask(out.trimEnd().split('\n').slice(-6).join('\n'));

export async function backup(ctx: TaskContext): Promise<BackupResult> {
  const m = mysqlSettings(ctx);
  const base = `${m.backupRoot}/${stamp(new Date())}`;
  const t0 = Date.now();
  // One script, one round trip: the tool, the dir, --backup, --prepare, rename, keep N and du (see mysql-backup-script.ts)
  const script = backupScript({ tool: m.tool, root: m.backupRoot, base, keep: m.keep });
  const r = await runWithCredentials(ctx, { ...m.creds, include: m.defaultsFile }, script, {
    sudo: true,
    display:
      `(backup script: ${m.tool === 'auto' ? 'mariabackup/xtrabackup' : m.tool} --backup and --prepare into ${base}, ` +
      `keep ${m.keep}; as ${m.creds.user ?? 'default user'}, password in a temp defaults file)`,
  });
  const ms = Date.now() - t0;
  if (r.skipped) {
    ctx.log(`would back up into ${base} and keep the last ${m.keep}`);
    return { dir: base, tool: m.tool, bytes: 0, ms: 0, removed: [] };
  }
  const o = parseBackupOutput(r.stdout);
  if (o.failed) {
    const log = o.failed.tail ? `:\n    ${tail(ctx, o.failed.tail).split('\n').join('\n    ')}` : '';
    throw new BackupError(ctx.host.name, `backup failed: ${o.failed.what}${log}\n  no backup dir is left behind`);
  }
  if (!r.ok || !o.dir || o.bytes === undefined) {
    const err = r.stderr.trim() ? `: ${ctx.events.mask(r.stderr.trim().split('\n').slice(-3).join(' / '))}` : '';
    throw new BackupError(
      ctx.host.name,
      `the backup script ended early (exit ${r.code})${err}\n  look for a .partial dir in ${m.backupRoot}`,
    );
  }
  const { dir, bytes, removed } = o;
  const tool = o.tool ?? m.tool;
  const old = removed.length ? `; removed ${removed.length} old backup(s)` : '';
  ctx.log(`backup ${dir}: ${(bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s (${tool}, prepared)${old}`);
  return { dir, tool, bytes, ms, removed };
}

export interface RestoreOptions {
  /** Host name (from the host sets) to replicate from after the restore. */
  asReplicaOf?: string;
  /** Seconds to wait for the server to answer after start. */
  startTimeoutS?: number;
}

export interface RestoreResult {
  backup: string;
  datadir: string;
  keptAs: string;
  ms: number;
  verify: string;
  replicaOf?: string;
}

export async function restore(ctx: TaskContext, dir: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const m = mysqlSettings(ctx);
  const verifySql = ctx.settings.string('restoreVerifySql', 'SELECT 1');
  const startTimeoutS = opts.startTimeoutS ?? ctx.settings.number('mysqlStartTimeout', 60);
  const src = dir.replace(/\/+$/, '');
  if (!src.startsWith('/') || src.includes('\n'))
    throw new UsageError(`backup dir "${dir}" is not an absolute path`, 'fab restore /var/backups/mysql/<stamp>');
  // everything that can be checked here is, before the host is touched
  const master = opts.asReplicaOf ? masterOf(ctx, opts.asReplicaOf) : undefined;
  const repl = master ? replicationLogin(ctx) : undefined;
  const cmds = (mgr: 'systemd' | 'commands') => (a: 'start' | 'stop' | 'status') => serviceCommand(m.service, a, mgr);
  const [sd, other] = [cmds('systemd'), cmds('commands')];
  const input: RestoreScriptInput = {
    tool: m.tool,
    src,
    datadir: m.datadir,
    keptAs: `${m.datadir}.before-restore-${stamp(new Date())}`,
    serverUser: m.serverUser,
    defaultsFile: m.defaultsFile,
    startTimeoutS,
    verifySql,
    binlog: !!master,
    service: {
      name: m.service.name,
      systemd: { start: sd('start')!, stop: sd('stop')!, status: sd('status')! },
      other: Object.fromEntries(
        (['start', 'stop', 'status'] as const).flatMap((a) => (other(a) ? [[a, other(a)!]] : [])),
      ),
    },
  };
  if (ctx.dryRun) {
    // only the checks run (read-only): a missing or unprepared backup is found under --dry-run too
    const c = await runWithCredentials(
      ctx,
      { ...m.creds, include: m.defaultsFile },
      restoreScript({ ...input, checkOnly: true }),
      {
        sudo: true,
        probe: true,
        display: `(restore checks: ${src} is a prepared backup, the tool and the service commands exist)`,
      },
    );
    const o = parseRestoreOutput(c.stdout);
    if (o.refused) throw new BackupError(ctx.host.name, `${o.refused}`);
    if (!o.checked)
      throw new BackupError(
        ctx.host.name,
        `the restore checks ended early (exit ${c.code}): ${ctx.events.mask(c.stderr.trim())}`,
      );
    ctx.log(
      `would restore ${src} into ${m.datadir} (checked: a prepared backup, ${o.tool}; the old datadir kept aside) and verify with ${verifySql}`,
    );
    return { backup: src, datadir: m.datadir, keptAs: '', ms: 0, verify: '' };
  }
  const script = restoreScript(input);
  const t0 = Date.now();
  // One script, one round trip: check, stop, move aside, --copy-back, chown, start, wait, verify; it rolls back itself
  const r = await runWithCredentials(ctx, { ...m.creds, include: m.defaultsFile }, script, {
    sudo: true,
    display: `(restore script: ${src} into ${m.datadir}, the old datadir kept aside; verify ${verifySql}; password in a temp defaults file)`,
  });
  const o = parseRestoreOutput(r.stdout);
  if (o.refused) throw new BackupError(ctx.host.name, o.refused);
  if (o.failed) {
    const why =
      `restore failed at "${o.failed.step}": ${ctx.events.mask(o.failed.why)}` +
      `${o.failed.tail ? `\n    ${tail(ctx, o.failed.tail).split('\n').join('\n    ')}` : ''}`;
    if (o.rollback === 'ok')
      throw new BackupError(
        ctx.host.name,
        `${why}\n  the original datadir is back in ${m.datadir} and the server answers again`,
      );
    const where = o.kept ? `in ${o.kept} or ${m.datadir}` : `still in ${m.datadir}`;
    throw new BackupError(
      ctx.host.name,
      `${why}\n  AND putting the original back failed: ${o.rollback ? o.rollback.failed : 'no answer'}\n  the original datadir is ${where}; start the server by hand`,
    );
  }
  if (!o.done || !o.kept) {
    throw new BackupError(
      ctx.host.name,
      `the restore script ended early (exit ${r.code}): ${ctx.events.mask(r.stderr.trim().split('\n').slice(-3).join(' / '))}` +
        `\n  check ${m.datadir} and ${m.datadir}.before-restore-* by hand`,
    );
  }
  const ms = Date.now() - t0;
  const verify = o.verify || '(no rows)';
  ctx.log(
    `restored ${src} into ${m.datadir} in ${(ms / 1000).toFixed(1)} s; verify: ${verify}; the old datadir is kept as ${o.kept}`,
  );
  const res: RestoreResult = { backup: src, datadir: m.datadir, keptAs: o.kept, ms, verify };
  if (master && repl) {
    await startReplica(ctx, m, master, repl, parseBinlogInfo(o.binlog ?? ''));
    res.replicaOf = opts.asReplicaOf!;
  }
  return res;
}

function masterOf(ctx: TaskContext, name: string): { host: string; address: string; port: number } {
  const found = ctx.resolveHosts(name);
  if (found.length !== 1)
    throw new UsageError(
      `--as-replica-of ${name}: ${found.length ? 'names several hosts' : 'no such host in the host sets'}`,
      'give one host name',
    );
  const h = found[0]!;
  const port = h.settings.mysqlPort === undefined ? 3306 : Number(h.settings.mysqlPort);
  return { host: h.name, address: h.address, port };
}

function replicationLogin(ctx: TaskContext): { user: string; pw: string } {
  const user = ctx.settings.string('replicationUser', 'repl');
  const pw = ctx.settings.has('replicationPassword')
    ? ctx.settings.string('replicationPassword')
    : process.env.FAB_REPLICATION_PASSWORD;
  if (!pw)
    throw new UsageError(
      '--as-replica-of needs the replication password',
      'set replicationPassword in the host settings or FAB_REPLICATION_PASSWORD',
    );
  ctx.events.addSecret(pw);
  return { user, pw };
}

async function startReplica(
  ctx: TaskContext,
  m: MysqlSettings,
  master: { host: string; address: string; port: number },
  { user, pw }: { user: string; pw: string },
  b: { file: string; pos: number },
): Promise<void> {
  const stmt =
    `STOP SLAVE; RESET SLAVE ALL; CHANGE MASTER TO MASTER_HOST=${sqlString(master.address)}, MASTER_PORT=${master.port}, ` +
    `MASTER_USER=${sqlString(user)}, MASTER_PASSWORD=${sqlString(pw)}, MASTER_LOG_FILE=${sqlString(b.file)}, MASTER_LOG_POS=${b.pos}; START SLAVE`;
  await mysqlQuery(
    ctx,
    m,
    stmt,
    `(CHANGE MASTER TO ${master.host}:${master.port} as ${user}, ${b.file}:${b.pos}; START SLAVE)`,
  );
  let last = '';
  await waitUntil(
    ctx,
    `replication from ${master.host}`,
    async () => {
      const s = (await mysqlQuery(ctx, m, 'SHOW SLAVE STATUS'))[0] ?? {};
      last = `IO ${s.Slave_IO_Running}, SQL ${s.Slave_SQL_Running}${s.Last_IO_Error ? `, ${s.Last_IO_Error}` : ''}${s.Last_SQL_Error ? `, ${s.Last_SQL_Error}` : ''}`;
      if (s.Slave_IO_Running === 'Yes' && s.Slave_SQL_Running === 'Yes') return true;
      throw new FabError(last);
    },
    30_000,
  );
  ctx.log(`replicating from ${master.host} (${master.address}:${master.port}) from ${b.file}:${b.pos}: ${last}`);
}
