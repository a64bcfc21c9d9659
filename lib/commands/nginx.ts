import { raw, sh, type ShellCommand } from './quote.js';

/**
 * nginx's shell, as data: test the config, put the backup back, reload, and the two process probes the
 * reload wait needs. The reload command is the `nginxReload` setting: the operator's own shell text.
 */

/** Test the whole configuration (used when the new file cannot be tested alone). */
export const testConfig = (): ShellCommand => raw('nginx -t -q');

/** Put the file saved before the edit back over the edited one. */
export const restoreBackup = (backup: string, path: string): ShellCommand => sh`mv -f -- ${backup} ${path}`;

/** The operator's reload command (`nginx -s reload`, `systemctl reload nginx`, ...), taken as written. */
export const reload = (command: string): ShellCommand => raw(command);

/** The pids of a process's children, one a line (nginx's workers); none is not an error. */
export const childPids = (pid: number): ShellCommand => sh`pgrep -P ${pid} || true`;

/** Exit 0 when the process exists and may be signalled. */
export const processAlive = (pid: number): ShellCommand => sh`kill -0 ${pid}`;
