import { raw, sh, type ShellCommand } from './quote.js';

/**
 * nginx's shell, as data: test the config, put the backup back, check the master, and reload-and-wait as one
 * script. The reload command is the `nginxReload` setting: the operator's own shell text, taken as written.
 */

/** Test the whole configuration (used when the new file cannot be tested alone). */
export const testConfig = (): ShellCommand => raw('nginx -t -q');

/** Put the file saved before the edit back over the edited one. */
export const restoreBackup = (backup: string, path: string): ShellCommand => sh`mv -f -- ${backup} ${path}`;

/** Exit 0 when the process exists and may be signalled. */
export const processAlive = (pid: number): ShellCommand => sh`kill -0 ${pid}`;

/** Printed by `reloadAndWait` before the pid: the ms from the reload to the old workers' end. */
export const WAITED = 'waited-ms';

/** Exit statuses of `reloadAndWait` besides 0 (reloaded, old workers gone, master alive). */
export const RELOAD_EXIT = { notRunning: 10, reloadFailed: 11, timeout: 12 } as const;

/**
 * The whole reload as one script, one round trip on a slow link: read the master's pid, note its workers, run the
 * operator's reload, poll (every 0.1 s, `polls` times at most) until no worker of the old configuration is left and
 * new ones run, then check the master still answers `kill -0`. Prints the master pid. On a timeout, stderr names
 * the old workers still running.
 */
export function reloadAndWait(pidFile: string, reloadCommand: string, polls: number): ShellCommand {
  const script = reloadScript(pidFile, reloadCommand, polls);
  return raw(sh`sh -c ${script}`.text, `(reload nginx: ${reloadCommand}; wait for the old workers of ${pidFile})`);
}

/** `reloadAndWait`'s script text, also run at the end of a conf edit's commit script (one command for both). */
export function reloadScript(pidFile: string, reloadCommand: string, polls: number): string {
  return [
    sh`pid=$(cat -- ${pidFile} 2>/dev/null)`.text,
    `case $pid in ''|*[!0-9]*|0*) exit ${RELOAD_EXIT.notRunning};; esac`,
    `kill -0 "$pid" 2>/dev/null || exit ${RELOAD_EXIT.notRunning}`,
    'old=$(pgrep -P "$pid")',
    `{ ${reloadCommand}\n} >&2 || exit ${RELOAD_EXIT.reloadFailed}`,
    't0=$(date +%s%N 2>/dev/null)',
    'i=0',
    'while :; do',
    '  now=" $(echo $(pgrep -P "$pid")) "; left=',
    '  for p in $old; do case $now in *" $p "*) left="$left $p";; esac; done',
    '  [ -z "$left" ] && [ "$now" != "  " ] && break',
    `  i=$((i + 1)); [ $i -le ${Math.max(1, Math.ceil(polls))} ] || { echo "old workers$left" >&2; exit ${RELOAD_EXIT.timeout}; }`,
    '  sleep 0.1',
    'done',
    // nginx's own wait, reported apart from fab's time (GNU date; none where %N is not known).
    `case $t0 in ''|*[!0-9]*) ;; *) echo "${WAITED} $(( ($(date +%s%N) - t0) / 1000000 ))";; esac`,
    `kill -0 "$pid" || exit ${RELOAD_EXIT.notRunning}`,
    'echo "$pid"',
  ].join('\n');
}

/** Printed by `reloadUnlessLoaded` when nginx runs the conf as it is on disk (nothing reloaded). */
export const LOADED = 'conf-loaded';

/**
 * For a conf that needs no edit: nginx may still run an older one, when a run was stopped between writing the file
 * and reloading. Loaded = nginx's newest worker started after the file's last write (whole seconds; a tie counts
 * as not loaded, and costs one reload). Then it prints LOADED after checking the master (exit RELOAD_EXIT.notRunning
 * when it is gone); otherwise the whole `reloadScript`. One command either way.
 */
export function reloadUnlessLoaded(pidFile: string, conf: string, reloadCommand: string, polls: number): ShellCommand {
  const script = [
    sh`pid=$(cat -- ${pidFile} 2>/dev/null)`.text,
    `case $pid in ''|*[!0-9]*|0*) exit ${RELOAD_EXIT.notRunning};; esac`,
    `kill -0 "$pid" 2>/dev/null || exit ${RELOAD_EXIT.notRunning}`,
    `young=$(ps -o etimes= --ppid "$pid" | sort -n | awk 'NR == 1 { print $1 }')`,
    sh`written=$(stat -c %Y -- ${conf}) || exit ${RELOAD_EXIT.reloadFailed}`.text,
    // `young`: the newest worker's age in seconds (none: not loaded, reload).
    `case $young in ''|*[!0-9]*) ;; *) [ $(( $(date +%s) - young )) -le "$written" ] || \\`,
    `  { echo ${LOADED}; exit 0; };; esac`,
    reloadScript(pidFile, reloadCommand, polls),
  ].join('\n');
  return raw(sh`sh -c ${script}`.text, `(reload nginx unless its workers are newer than ${conf}: ${reloadCommand})`);
}

/** Exit status of `testOrRestore` when `nginx -t` fails (the previous file is back). */
export const TEST_FAILED_EXIT = 13;

/**
 * For an edit that could not be validated alone (an included file): test the whole configuration after it, and on
 * failure put the backup back and exit TEST_FAILED_EXIT, nginx's words on stderr. Script text, run before the
 * reload in the edit's commit script.
 */
export const testOrRestore = (backup: string, path: string): string =>
  `${testConfig().text} || { ${restoreBackup(backup, path).text}; exit ${TEST_FAILED_EXIT}; }`;
