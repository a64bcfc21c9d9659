import { quote, type ShellCommand } from '../commands/quote.js';
import { TOOLS } from './mysql.js';

/**
 * Pure: a restore as one remote script (one round trip instead of a dozen plus a polling loop across
 * the network), all-or-nothing: the backup is checked before the server stops; once it has stopped,
 * any failing step (or a signal) stops the server again, puts the old datadir back and starts it.
 * Runs inside `withDefaultsFile` (lib/db/client.ts): "$FAB_MY_CNF" is the 0600 login file (it
 * `!include`s the server's my.cnf), "$d" its private dir. Results are `fab-restore:<key> <value>` lines.
 */
export interface RestoreScriptInput {
  tool: string;
  /** The prepared backup dir on this host. */
  src: string;
  datadir: string;
  /** Where the current datadir goes (never deleted); `-2`, `-3` appended when taken. */
  keptAs: string;
  serverUser: string;
  /** The server's option file, for --copy-back (datadir). */
  defaultsFile: string;
  /** The service commands under systemd and without it (undefined: not possible there). */
  service: { name: string; systemd: ServiceCommands; other: Partial<ServiceCommands> };
  startTimeoutS: number;
  verifySql: string;
  /** Also print the backup's binlog position (for --as-replica-of); a backup without one fails before the stop. */
  binlog: boolean;
  /** Only the read-only checks (for --dry-run): they end with a `checked` marker. */
  checkOnly?: boolean;
}
export interface ServiceCommands {
  start: ShellCommand;
  stop: ShellCommand;
  status: ShellCommand;
}

export const RMARK = 'fab-restore:';

/** Pure: `if systemd; then A; else B; fi`, or an error when B is not configured. */
function svc(i: RestoreScriptInput, action: keyof ServiceCommands): string {
  const other = i.service.other[action];
  const none = `echo ${quote(`service ${i.service.name}: no systemd here and no way to ${action} it`)} >&2; exit 3`;
  // newlines, not `;`: a configured command may end in `&`
  return `if [ -d /run/systemd/system ]; then\n  ${i.service.systemd[action].text}\nelse\n  ${other ? other.text : none}\nfi`;
}

export function restoreScript(i: RestoreScriptInput): string {
  const tools = i.tool === 'auto' ? [...TOOLS] : [i.tool];
  const S = (key: string, value: string) => `echo "${RMARK}${key} ${value}"`;
  return [
    `src=${quote(i.src)} datadir=${quote(i.datadir)} owner=${quote(`${i.serverUser}:`)} svcname=${quote(i.service.name)} stopped= moved= at=`,
    `tools=${quote(tools.join(', '))}`,
    `say() { echo "${RMARK}$1 $2"; }`,
    // subshells: a configured command may `exit`
    `svc_start() (\n${svc(i, 'start')}\n)`,
    `svc_stop() (\n${svc(i, 'stop')}\n)`,
    // a server we cannot ask about is taken as running: the queries decide then
    `svc_status() (\n${i.service.other.status ? svc(i, 'status') : `if [ -d /run/systemd/system ]; then ${i.service.systemd.status.text}; fi`}\n)`,
    // builtins only (no $(...) subshell, no grep|sed): each process costs tens of ms on a loaded host
    'client=mariadb; command -v mariadb >/dev/null 2>&1 || ! command -v mysql >/dev/null 2>&1 || client=mysql',
    'q() { "$client" --defaults-file="$FAB_MY_CNF" --batch "$@"; }',
    // ready = answers SELECT 1; after 3 s a server process that is gone is an error at once
    `wait_ready() { n=0; until q -e 'SELECT 1' >/dev/null 2>"$d/q"; do n=$((n+1))` +
      `; if [ $n -ge 30 ] && ! svc_status >/dev/null 2>&1; then echo "the server process is not running (see its error log)"; return 1; fi` +
      `; if [ $n -ge ${i.startTimeoutS * 10} ]; then echo "not ready after ${i.startTimeoutS}s (last: $(tail -n 1 "$d/q"))"; return 1; fi; sleep 0.1; done; }`,
    // the tools run in the background so that a signal is handled at once: stop the tool, then roll back
    'pid=; trap \'[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; } 2>/dev/null; fail "interrupted by a signal"\' HUP INT TERM',
    'step() { "$@" </dev/null >"$d/log" 2>&1 & pid=$!; wait "$pid"; rc=$?; pid=; }',
    'rollback() {',
    '  [ -n "$stopped" ] || return 0',
    '  svc_stop >/dev/null 2>&1',
    '  if [ -n "$moved" ]; then rm -rf -- "$datadir" && mv -T -- "$kept" "$datadir" || { say rollback-failed "could not move $kept back"; return; }; fi',
    '  step svc_start; [ $rc = 0 ] || { say rollback-failed "start: $(tail -n 2 "$d/log" | tr "\\n" " ")"; return; }',
    '  why=$(wait_ready) && say rollback ok || say rollback-failed "$why"',
    '}',
    // what failed and why, then the log tail, then the rollback's outcome
    // the rollback outlives a closed channel (HUP, EPIPE on our output); a second INT/TERM stops it
    'fail() { trap \'\' HUP PIPE; trap - INT TERM; say failed "$at"; say why "$1"; [ ! -s "$d/log" ] || tail -n 6 "$d/log"; rollback; exit 1; }',
    `[ -r "$src/xtrabackup_checkpoints" ] || { ${S('refused', '$src is not a backup (no readable xtrabackup_checkpoints); nothing changed, the server keeps running')}; exit 1; }`,
    // `backup_type = full-prepared`: the key with its trailing blanks cut, the value with its leading ones
    `t=; while IFS= read -r l || [ -n "$l" ]; do k=\${l%%=*}; [ "\${k%\"\${k##*[! ]}\"}" = backup_type ] && [ "$k" != "$l" ] &&` +
      ` { t=\${l#*=}; t=\${t#\"\${t%%[! ]*}\"}; }; done <"$src/xtrabackup_checkpoints"`,
    'case $t in full-prepared|log-applied) ;; *)',
    `  ${S('refused', '$src is not a prepared full backup (backup_type = ${t:-none}); run --prepare first; nothing changed')}; exit 1 ;; esac`,
    ...(i.binlog
      ? [
          'b=$(cat -- "$src/xtrabackup_binlog_info" 2>/dev/null || cat -- "$src/mariadb_backup_binlog_info" 2>/dev/null) ||',
          `  { ${S('refused', '$src has no xtrabackup_binlog_info / mariadb_backup_binlog_info (was the binlog on?); nothing changed')}; exit 1; }`,
          `${S('binlog', '$(echo $b)')}`,
        ]
      : []),
    `tool=; for t in ${tools.map(quote).join(' ')}; do command -v "$t" >/dev/null 2>&1 && { tool=$t; break; }; done`,
    `[ -n "$tool" ] || { ${S('refused', 'no backup tool found ($tools); nothing changed')}; exit 1; }`,
    `${S('tool', '$tool')}`,
    ...(i.service.other.start && i.service.other.stop
      ? []
      : [
          `[ -d /run/systemd/system ] || { ${S(
            'refused',
            `service $svcname: no systemd here and no way to ${i.service.other.start ? 'stop' : 'start'} it; ` +
              `set \${svcname}${i.service.other.start ? 'Stop or ${svcname}PidFile' : 'Start'} in the host settings; nothing changed`,
          )}; exit 1; }`,
        ]),
    // --dry-run stops here: everything above only reads
    ...(i.checkOnly ? [`${S('checked', '$src')}`, 'exit 0'] : []),
    // the old datadir's new name, picked here: a second restore within one second gets -2
    `kept=${quote(i.keptAs)} n=1; while [ -e "$kept" ]; do n=$((n+1)); kept=${quote(i.keptAs)}-$n; done`,
    "at='stop the server' stopped=1",
    'step svc_stop; [ $rc = 0 ] || fail "stop exited $rc"',
    'at="move $datadir aside to $kept"',
    'step mv -T -- "$datadir" "$kept"; [ $rc = 0 ] || fail "exit $rc"',
    'moved=1',
    'step mkdir -m 750 -- "$datadir"; [ $rc = 0 ] || fail "mkdir exited $rc"',
    'step chown "$owner" -- "$datadir"; [ $rc = 0 ] || fail "chown exited $rc"',
    `${S('kept', '$kept')}`,
    'at="copy back $src"',
    // `exec`: run by `step` in a background subshell, the tool takes its pid, so a signal reaches the tool itself
    `case $tool in *innobackupex*) cb() { exec "$tool" --defaults-file=${quote(i.defaultsFile)} --copy-back "$src"; } ;;`,
    `  *) cb() { exec "$tool" --defaults-file=${quote(i.defaultsFile)} --copy-back --target-dir="$src"; } ;; esac`,
    `step cb; [ $rc = 0 ] && awk 'NF { l = $0 } END { exit !(l ~ /completed OK![ \\t]*$/) }' "$d/log" || fail "$tool --copy-back failed (exit $rc)"`,
    'at="chown -R $owner $datadir"',
    'step chown -R "$owner" -- "$datadir"; [ $rc = 0 ] || fail "exit $rc"',
    "at='start the restored server'",
    'step svc_start; [ $rc = 0 ] || fail "start exited $rc"',
    ': >"$d/log"; why=$(wait_ready) || fail "$why"',
    `at=${quote(`verify (${i.verifySql})`)}`,
    // the first row after the header; its tabs are made spaces by parseRestoreOutput
    `q -e ${quote(i.verifySql)} >"$d/v" 2>"$d/log" || fail "the query failed"`,
    // printf, not echo: dash's echo would expand the backslashes of `--batch` escapes
    `v=; { read -r v; IFS= read -r v; } <"$d/v"; printf '%s\\n' "${RMARK}verify $v"`,
    `${S('done', '$datadir')}`,
  ].join('\n');
}

export interface RestoreOutput {
  tool?: string;
  binlog?: string;
  verify?: string;
  /** Where the old datadir went. */
  kept?: string;
  done: boolean;
  /** The checks passed (checkOnly). */
  checked?: boolean;
  /** Refused before anything changed. */
  refused?: string;
  failed?: { step: string; why: string; tail: string };
  rollback?: 'ok' | { failed: string };
}

/** Pure: the script's marker lines; the log tail is what follows `why` up to the next marker. */
export function parseRestoreOutput(out: string): RestoreOutput {
  const res: RestoreOutput = { done: false };
  const tail: string[] = [];
  let inTail = false;
  for (const line of out.split('\n')) {
    if (!line.startsWith(RMARK)) {
      if (inTail) tail.push(line);
      continue;
    }
    inTail = false;
    const sp = line.indexOf(' ');
    const key = line.slice(RMARK.length, sp < 0 ? undefined : sp);
    const value = sp < 0 ? '' : line.slice(sp + 1);
    if (key === 'tool') res.tool = value;
    else if (key === 'kept') res.kept = value;
    else if (key === 'binlog') res.binlog = value;
    else if (key === 'verify') res.verify = value.replace(/\t/g, ' ');
    else if (key === 'done') res.done = true;
    else if (key === 'checked') res.checked = true;
    else if (key === 'refused') res.refused = value;
    else if (key === 'failed') res.failed = { step: value, why: '', tail: '' };
    else if (key === 'why' && res.failed) {
      res.failed.why = value;
      inTail = true;
    } else if (key === 'rollback') res.rollback = 'ok';
    else if (key === 'rollback-failed') res.rollback = { failed: value };
  }
  if (res.failed) res.failed.tail = tail.join('\n').trimEnd();
  return res;
}
