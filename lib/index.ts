/**
 * The fabfile API: `import { task, arg, hostSet, run, sudo, sh } from 'fabts'`.
 * Kept light: nothing here loads ssh2 or execa until a task runs a command.
 */
export { task, type Task, type TaskSpec } from './task/task.js';
export { arg, type ArgSpec } from './model/args.js';
export { hostSet, type HostSet, type HostSetDef, type HostDef, type HostTarget } from './model/hostset.js';
export { sh, quote, secret, raw, type ShellCommand } from './commands/quote.js';
export { $, lcd, type BoundShell, type ZxOptions } from './run/zx.js';
export {
  run,
  sudo,
  local,
  put,
  get,
  reboot,
  rsyncProject,
  openShell,
  cd,
  withEnv,
  prefix,
  warnOnly,
  execute,
  settings,
  currentHost,
  context,
  log,
  prompt,
  confirm,
  abort,
} from './task/dsl.js';
export { sed, comment, uncomment, append, contains, exists, uploadTemplate, editFile } from './task/dsl.js';
export type { PromptOptions, ConfirmOptions, Validate } from './run/prompts.js';
export type { EditOptions, EditResult } from './files/edit.js';
export { TaskContext } from './task/context.js';
export type { GetOptions, Host, HostEvents, PutOptions, PutResult } from './run/host.js';
export type { RebootOptions } from './run/reboot.js';
export type { RsyncOptions } from './commands/rsync.js';
export { RunResult } from './run/result.js';
export { Settings } from './model/settings.js';
export * from './errors.js';
export * as nginx from './recipes/nginx.js';
export * as haproxy from './recipes/haproxy.js';
export { rolling, RollingError, type RollingOptions, type RollingReport } from './rolling/rolling.js';
export * as gates from './health/gates.js';
export * as deploy from './recipes/deploy.js';
export { lbKind, setLbBackend } from './recipes/lb.js';
export { blockInFile, setBlock, type BlockOptions } from './files/block.js';
export * as services from './system/service.js';
export { ensurePackages } from './system/packages.js';
export { sql, type DbCredentials, type Row } from './db/client.js';
export * as mysql from './recipes/mysql.js';
export * as mysqlBackup from './recipes/mysql-backup.js';
export * as mysqlchk from './recipes/mysqlchk.js';
export * as haproxyLogging from './recipes/haproxy-logging.js';
export * as storage from './recipes/storage.js';
