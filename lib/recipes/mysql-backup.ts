import { sh } from '../commands/quote.js';
import { FabError, UsageError, errorMessage } from '../errors.js';
import type { TaskContext } from '../run/context.js';
import { runWithCredentials } from '../db/client.js';
import { serviceStart, serviceStop, waitUntil } from '../system/service.js';
import {
  completedOk, detectTool, mysqlAnswers, mysqlQuery, mysqlSettings, parseBinlogInfo, serverRunning, sqlString,
  stamp, toolCommand, type MysqlSettings,
} from './mysql.js';
import { backupScript, parseBackupOutput } from './mysql-backup-script.js';

/**
 * Hot backups with mariabackup/xtrabackup/innobackupex into `<backupRoot>/<UTC stamp>` (written as
 * `<stamp>.partial` and renamed when backed up AND prepared), and restores that never lose the
 * current datadir: it is moved aside to `<datadir>.before-restore-<stamp>` and put back on any failure.
 */

export interface BackupResult { dir: string; tool: string; bytes: number; ms: number; removed: string[] }

const tail = (ctx: TaskContext, out: string) => ctx.config.events.mask(out.trimEnd().split('\n').slice(-6).join('\n'));

export async function backup(ctx: TaskContext): Promise<BackupResult> {
  const m = mysqlSettings(ctx);
  const base = `${m.backupRoot}/${stamp(new Date())}`;
  const t0 = Date.now();
  // One script, one round trip: the tool, the dir, --backup, --prepare, rename, keep N and du (see mysql-backup-script.ts)
  const r = await runWithCredentials(ctx, { ...m.creds, include: m.defaultsFile }, backupScript({ tool: m.tool, root: m.backupRoot, base, keep: m.keep }), {
    sudo: true, display: `(backup script: ${m.tool === 'auto' ? 'mariabackup/xtrabackup' : m.tool} --backup and --prepare into ${base}, ` +
      `keep ${m.keep}; as ${m.creds.user ?? 'default user'}, password in a temp defaults file)`,
  });
  const ms = Date.now() - t0;
  if (r.skipped) {
    ctx.log(`would back up into ${base} and keep the last ${m.keep}`);
    return { dir: base, tool: m.tool, bytes: 0, ms: 0, removed: [] };
  }
  const o = parseBackupOutput(r.stdout);
  if (o.failed || !r.ok || !o.dir || o.bytes === undefined) {
    const why = o.failed ? `${o.failed.what}${o.failed.tail ? `:\n    ${tail(ctx, o.failed.tail).split('\n').join('\n    ')}` : ''}`
      : `the backup script ended early (exit ${r.code})${r.stderr.trim() ? `: ${ctx.config.events.mask(r.stderr.trim())}` : ''}`;
    throw new FabError(`[${ctx.host.name}] backup failed: ${why}\n  no backup dir is left behind`);
  }
  const { dir, bytes, removed } = o;
  const tool = o.tool ?? m.tool;
  ctx.log(`backup ${dir}: ${(bytes / 1e6).toFixed(1)} MB in ${(ms / 1000).toFixed(1)} s (${tool}, prepared)${removed.length ? `; removed ${removed.length} old backup(s)` : ''}`);
  return { dir, tool, bytes, ms, removed };
}

export interface RestoreOptions {
  /** Host name (from the host sets) to replicate from after the restore. */
  asReplicaOf?: string;
  /** Seconds to wait for the server to answer after start. */
  startTimeoutS?: number;
}

export interface RestoreResult { backup: string; datadir: string; keptAs: string; ms: number; verify: string; replicaOf?: string }

/** Everything is checked before the server stops: a missing or unprepared backup changes nothing. */
async function checkBackup(ctx: TaskContext, dir: string): Promise<void> {
  if (!dir.startsWith('/') || dir.includes('\n')) throw new UsageError(`backup dir "${dir}" is not an absolute path`, `fab restore /var/backups/mysql/<stamp>`);
  const r = await ctx.sudo(sh`cat -- ${`${dir}/xtrabackup_checkpoints`}`).quiet().nothrow().probe();
  if (!r.ok) throw new FabError(`[${ctx.host.name}] ${dir} is not a backup (no readable xtrabackup_checkpoints: ${r.stderr.trim().split('\n').pop()}); nothing changed, the server keeps running`);
  if (!/backup_type\s*=\s*(full-prepared|log-applied)/.test(r.stdout)) throw new FabError(`[${ctx.host.name}] ${dir} is not a prepared full backup (${r.stdout.match(/backup_type\s*=\s*\S+/)?.[0] ?? 'no backup_type'}); run --prepare first; nothing changed`);
}

async function startAndWait(ctx: TaskContext, m: MysqlSettings, timeoutMs: number): Promise<void> {
  await serviceStart(ctx, m.service);
  const t0 = Date.now();
  await waitUntil(ctx, `mysql server ${m.service.name}`, async () => {
    if (Date.now() - t0 > 3000 && !(await serverRunning(ctx, m))) throw new FabError('the server process is not running (see its error log)');
    return mysqlAnswers(ctx, m);
  }, timeoutMs);
}

export async function restore(ctx: TaskContext, dir: string, opts: RestoreOptions = {}): Promise<RestoreResult> {
  const m = mysqlSettings(ctx);
  const verifySql = ctx.settings.string('restoreVerifySql', 'SELECT 1');
  const timeoutMs = (opts.startTimeoutS ?? ctx.settings.number('mysqlStartTimeout', 60)) * 1000;
  const src = dir.replace(/\/+$/, '');
  await checkBackup(ctx, src);
  const binlog = opts.asReplicaOf ? await readBinlogInfo(ctx, src) : undefined;
  const master = opts.asReplicaOf ? masterOf(ctx, opts.asReplicaOf) : undefined;
  const tool = await detectTool(ctx, m);
  const keptAs = `${m.datadir}.before-restore-${stamp(new Date())}`;
  const t0 = Date.now();
  let step = 'stop the server';
  let moved = false;
  try {
    await serviceStop(ctx, m.service);
    step = `move ${m.datadir} aside to ${keptAs}`;
    await ctx.sudo(sh`mv -T -- ${m.datadir} ${keptAs} && mkdir -m 750 -- ${m.datadir} && chown ${m.serverUser}: ${m.datadir}`).quiet();
    moved = true;
    step = `copy back ${src}`;
    const c = await ctx.sudo(sh`${toolCommand(tool, 'copy-back', src, sh`${m.defaultsFile}`)} </dev/null 2>&1`).quiet().nothrow();
    if (!ctx.dryRun && (!c.ok || !completedOk(c.stdout))) throw new FabError(`${tool} --copy-back failed (exit ${c.code}): ${tail(ctx, c.stdout).split('\n').slice(-2).join(' / ')}`);
    step = `chown -R ${m.serverUser}: ${m.datadir}`;
    await ctx.sudo(sh`chown -R ${m.serverUser}: -- ${m.datadir}`).quiet();
    step = 'start the restored server';
    await startAndWait(ctx, m, timeoutMs);
    step = `verify (${verifySql})`;
    const rows = ctx.dryRun ? [] : await mysqlQuery(ctx, m, verifySql);
    const verify = rows.length ? Object.values(rows[0]!).join(' ') : '(no rows)';
    ctx.log(`restored ${src} into ${m.datadir} in ${((Date.now() - t0) / 1000).toFixed(1)} s; verify: ${verify}; the old datadir is kept as ${keptAs}`);
    const res: RestoreResult = { backup: src, datadir: m.datadir, keptAs, ms: Date.now() - t0, verify };
    if (binlog && master) {
      await startReplica(ctx, m, master, binlog);
      res.replicaOf = opts.asReplicaOf!;
    }
    return res;
  } catch (e) {
    if (ctx.dryRun) throw e;
    throw await rollBack(ctx, m, step, e, moved, keptAs, timeoutMs);
  }
}

/** Put the original datadir back and start it; the error says what failed and how the host is now. */
async function rollBack(ctx: TaskContext, m: MysqlSettings, step: string, cause: unknown, moved: boolean, keptAs: string, timeoutMs: number): Promise<FabError> {
  const why = `[${ctx.host.name}] restore failed at "${step}": ${ctx.config.events.mask(errorMessage(cause))}`;
  try {
    await serviceStop(ctx, m.service).catch(() => undefined);
    if (moved) await ctx.sudo(sh`rm -rf -- ${m.datadir} && mv -T -- ${keptAs} ${m.datadir}`).quiet();
    await startAndWait(ctx, m, timeoutMs);
    return new FabError(`${why}\n  the original datadir is back in ${m.datadir} and the server answers again`);
  } catch (e2) {
    return new FabError(`${why}\n  AND putting the original back failed: ${errorMessage(e2)}\n  the original datadir is ${moved ? `in ${keptAs} or ${m.datadir}` : `still in ${m.datadir}`}; start the server by hand`);
  }
}

async function readBinlogInfo(ctx: TaskContext, dir: string) {
  const r = await ctx.sudo(sh`cat -- ${`${dir}/xtrabackup_binlog_info`} 2>/dev/null || cat -- ${`${dir}/mariadb_backup_binlog_info`}`).quiet().nothrow().probe();
  if (!r.ok) throw new FabError(`[${ctx.host.name}] ${dir} has no xtrabackup_binlog_info / mariadb_backup_binlog_info (was the master's binlog on?); nothing changed`);
  return parseBinlogInfo(r.stdout);
}

function masterOf(ctx: TaskContext, name: string): { host: string; address: string; port: number } {
  const found = ctx.resolveHosts(name);
  if (found.length !== 1) throw new UsageError(`--as-replica-of ${name}: ${found.length ? 'names several hosts' : 'no such host in the host sets'}`, 'give one host name');
  const h = found[0]!;
  const port = h.settings.mysqlPort === undefined ? 3306 : Number(h.settings.mysqlPort);
  return { host: h.name, address: h.address, port };
}

async function startReplica(ctx: TaskContext, m: MysqlSettings, master: { host: string; address: string; port: number }, b: { file: string; pos: number }): Promise<void> {
  const user = ctx.settings.string('replicationUser', 'repl');
  const pw = ctx.settings.has('replicationPassword') ? ctx.settings.string('replicationPassword') : process.env.FAB_REPLICATION_PASSWORD;
  if (!pw) throw new UsageError('--as-replica-of needs the replication password', 'set replicationPassword in the host settings or FAB_REPLICATION_PASSWORD');
  ctx.config.events.addSecret(pw);
  const stmt = `STOP SLAVE; RESET SLAVE ALL; CHANGE MASTER TO MASTER_HOST=${sqlString(master.address)}, MASTER_PORT=${master.port}, ` +
    `MASTER_USER=${sqlString(user)}, MASTER_PASSWORD=${sqlString(pw)}, MASTER_LOG_FILE=${sqlString(b.file)}, MASTER_LOG_POS=${b.pos}; START SLAVE`;
  await mysqlQuery(ctx, m, stmt, `(CHANGE MASTER TO ${master.host}:${master.port} as ${user}, ${b.file}:${b.pos}; START SLAVE)`);
  let last = '';
  await waitUntil(ctx, `replication from ${master.host}`, async () => {
    const s = (await mysqlQuery(ctx, m, 'SHOW SLAVE STATUS'))[0] ?? {};
    last = `IO ${s.Slave_IO_Running}, SQL ${s.Slave_SQL_Running}${s.Last_IO_Error ? `, ${s.Last_IO_Error}` : ''}${s.Last_SQL_Error ? `, ${s.Last_SQL_Error}` : ''}`;
    if (s.Slave_IO_Running === 'Yes' && s.Slave_SQL_Running === 'Yes') return true;
    throw new FabError(last);
  }, 30_000);
  ctx.log(`replicating from ${master.host} (${master.address}:${master.port}) from ${b.file}:${b.pos}: ${last}`);
}
