import { raw, sh } from '../commands/quote.js';
import { FabError, UsageError, errorMessage } from '../errors.js';
import type { TaskContext } from '../task/context.js';
import { runWithCredentials } from '../db/client.js';
import { serviceStart, serviceStop, waitUntil } from '../system/service.js';
import {
  backupsToRemove, completedOk, detectTool, mysqlAnswers, mysqlQuery, mysqlSettings, parseBinlogInfo, serverRunning, sqlString,
  stamp, toolCommand, type MysqlSettings,
} from './mysql.js';

/**
 * Hot backups with mariabackup/xtrabackup/innobackupex into `<backupRoot>/<UTC stamp>` (written as
 * `<stamp>.partial` and renamed when backed up AND prepared), and restores that never lose the
 * current datadir: it is moved aside to `<datadir>.before-restore-<stamp>` and put back on any failure.
 */

export interface BackupResult { dir: string; tool: string; bytes: number; ms: number; removed: string[] }

const tail = (ctx: TaskContext, out: string) => ctx.events.mask(out.trimEnd().split('\n').slice(-6).join('\n'));

export async function backup(ctx: TaskContext): Promise<BackupResult> {
  const m = mysqlSettings(ctx);
  const tool = await detectTool(ctx, m);
  const base = `${m.backupRoot}/${stamp(new Date())}`;
  const t0 = Date.now();
  // Two backups within one second get <stamp>-2, -3, ...: the name is picked on the host, where the dirs are.
  const made = await ctx.sudo(sh`mkdir -p -m 700 ${m.backupRoot} && d=${base} && n=1 && while [ -e "$d" ] || [ -e "$d.partial" ]; do n=$((n+1)); d=${base}-$n; done && mkdir -m 700 "$d.partial" && printf '%s\n' "$d"`).quiet();
  const dir = made.stdout.trim() || base; // empty under --dry-run
  const partial = `${dir}.partial`;
  try {
    const b = await runWithCredentials(ctx, { ...m.creds, include: m.defaultsFile }, `${toolCommand(tool, 'backup', partial, raw('"$FAB_MY_CNF"')).text} </dev/null 2>&1`, {
      sudo: true, display: `(${tool} --backup --target-dir=${partial} as ${m.creds.user ?? 'default user'}, password in a temp defaults file)`,
    });
    if (!ctx.dryRun && (!b.ok || !completedOk(b.stdout))) throw new FabError(`[${ctx.host.name}] ${tool} --backup did not complete OK (exit ${b.code}):\n    ${tail(ctx, b.stdout).split('\n').join('\n    ')}`);
    const p = await ctx.sudo(sh`${toolCommand(tool, 'prepare', partial, raw(''))} </dev/null 2>&1`).quiet().nothrow();
    if (!ctx.dryRun && (!p.ok || !completedOk(p.stdout))) throw new FabError(`[${ctx.host.name}] ${tool} --prepare did not complete OK (exit ${p.code}):\n    ${tail(ctx, p.stdout).split('\n').join('\n    ')}`);
    await ctx.sudo(sh`mv -T -- ${partial} ${dir}`).quiet();
  } catch (e) {
    await ctx.sudo(sh`rm -rf -- ${partial}`).quiet().nothrow();
    throw e;
  }
  const ms = Date.now() - t0;
  const names = (await ctx.sudo(sh`ls -1 -- ${m.backupRoot}`).quiet().probe()).lines();
  const removed = backupsToRemove(names, m.keep).map((n) => `${m.backupRoot}/${n}`);
  if (removed.length) await ctx.sudo(sh`rm -rf -- ${removed}`).quiet();
  const bytes = ctx.dryRun ? 0 : Number((await ctx.sudo(sh`du -sb -- ${dir}`).quiet().probe()).stdout.split(/\s/)[0]);
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
  const why = `[${ctx.host.name}] restore failed at "${step}": ${ctx.events.mask(errorMessage(cause))}`;
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
  ctx.events.addSecret(pw);
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
