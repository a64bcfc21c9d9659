import { secret, sh } from '../commands/quote.js';
import { BackupError, FabError, UsageError } from '../errors.js';
import { firstTool } from '../commands/probes.js';
import type { Host } from '../run/host.js';
import { fact } from '../run/facts.js';
import { sql, type DbCredentials, type Row } from '../db/client.js';
import { serviceDef, serviceStatus, type ServiceDef } from '../system/service.js';

/**
 * Settings of a MySQL/MariaDB host, shared by the backup, restore and health-check recipes:
 * mysqlDefaultsFile (/etc/mysql/my.cnf), mysqlUser (root), mysqlPassword (or $FAB_MYSQL_PASSWORD),
 * mysqlSocket, mysqlHost, mysqlPort (3306), mysqlDatadir (/var/lib/mysql), mysqlServerUser (mysql),
 * mysqlService (mariadb: systemd unit, or <name>Start / <name>PidFile settings), backupRoot
 * (/var/backups/mysql), backupKeep (7), backupTool (auto: mariabackup, xtrabackup, innobackupex).
 */
export interface MysqlSettings {
  defaultsFile: string;
  creds: DbCredentials;
  datadir: string;
  serverUser: string;
  service: ServiceDef;
  backupRoot: string;
  keep: number;
  tool: string;
  port: number;
}

export function mysqlSettings(ctx: Host): MysqlSettings {
  const s = ctx.settings;
  const password = s.has('mysqlPassword') ? s.string('mysqlPassword') : process.env.FAB_MYSQL_PASSWORD;
  const port = s.number('mysqlPort', 3306);
  const creds: DbCredentials = {
    user: s.string('mysqlUser', 'root'),
    ...(password ? { password: secret(password) } : {}),
    ...(s.has('mysqlSocket')
      ? { socket: s.string('mysqlSocket') }
      : { host: s.string('mysqlHost', '127.0.0.1'), port }),
  };
  const keep = s.number('backupKeep', 7);
  if (!Number.isInteger(keep) || keep < 1)
    throw new UsageError(`setting backupKeep must be a whole number >= 1, got ${keep}`, '--set backupKeep=7');
  return {
    defaultsFile: s.string('mysqlDefaultsFile', '/etc/mysql/my.cnf'),
    creds,
    port,
    datadir: s.string('mysqlDatadir', '/var/lib/mysql').replace(/\/+$/, ''),
    serverUser: s.string('mysqlServerUser', 'mysql'),
    service: serviceDef(ctx, s.string('mysqlService', 'mariadb')),
    backupRoot: s.string('backupRoot', '/var/backups/mysql').replace(/\/+$/, ''),
    keep,
    tool: s.string('backupTool', 'auto'),
  };
}

/** SQL as the configured login (as root on the host, so socket auth works too). */
export function mysqlQuery(ctx: Host, m: MysqlSettings, statements: string, display?: string): Promise<Row[]> {
  return sql(ctx, { ...m.creds, include: m.defaultsFile }, statements, {
    sudo: true,
    timeoutMs: 30_000,
    ...(display ? { display } : {}),
  });
}

/** Does the server answer a query (and is its process alive, when we can tell)? */
export async function mysqlAnswers(ctx: Host, m: MysqlSettings): Promise<boolean> {
  await mysqlQuery(ctx, m, 'SELECT 1');
  return true;
}

export async function serverRunning(ctx: Host, m: MysqlSettings): Promise<boolean> {
  try {
    return await serviceStatus(ctx, m.service);
  } catch {
    return true; /* no way to tell: rely on queries */
  }
}

/** Pure: SQL string literal. */
export function sqlString(v: string): string {
  return `'${v.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
}

export const TOOLS = ['mariabackup', 'xtrabackup', 'innobackupex'] as const;

export async function detectTool(ctx: Host, m: MysqlSettings): Promise<string> {
  if (m.tool !== 'auto') return m.tool;
  // A fact: probed once per host and run (a backup and a restore in one run ask twice).
  const tool = await fact(ctx, firstTool(TOOLS));
  if (!tool)
    throw new BackupError(
      ctx.host.name,
      `no backup tool found (${TOOLS.join(', ')}); install mariadb-backup or percona-xtrabackup, or set backupTool`,
    );
  return tool;
}

/** Pure: `2026-12-02_17-58-01` (UTC), sortable. */
export function stamp(d: Date): string {
  return d.toISOString().slice(0, 19).replace('T', '_').replace(/:/g, '-');
}
export const STAMP = /^\d{4}-\d\d-\d\d_\d\d-\d\d-\d\d(-\d+)?$/;

/** Pure: `xtrabackup_binlog_info` ("mysql-bin.000003\t1980\t0-1-8"). */
export function parseBinlogInfo(text: string): { file: string; pos: number; gtid?: string } {
  const [file, pos, gtid] = text.trim().split(/\s+/);
  if (!file || !pos || !/^\d+$/.test(pos))
    throw new FabError(`binlog info "${text.trim()}" is not "<file> <position> [gtid]"`);
  return { file, pos: Number(pos), ...(gtid ? { gtid } : {}) };
}
