import { raw, sh, type ShellCommand } from './quote.js';

/**
 * HAProxy's admin socket: what to say on it (`show stat`, `set server ... state ...`), and the shell
 * line that says it through socat. The line is shown as `(haproxy SOCKET: COMMAND)`: the printf/socat
 * plumbing says nothing to an operator.
 */

export type ServerState = 'ready' | 'drain' | 'maint';

export const SHOW_STAT = 'show stat';

/** `set server BACKEND/SERVER state STATE`: names are HAProxy identifiers, sent as they are. */
export function setServerState(backend: string, server: string, state: ServerState): string {
  return `set server ${backend}/${server} state ${state}`;
}

/** One command on the socket, answered on stdout; `-t 5`: socat gives up on a socket that never answers. */
export function adminSocketCommand(socket: string, command: string): ShellCommand {
  const cmd = sh`printf '%s\\n' ${command} | socat -t 5 stdio unix-connect:${socket}`;
  return raw(cmd.text, `(haproxy ${socket}: ${command})`);
}

/** Printed between the answers of `adminSocketBatch` (a line no HAProxy answer holds). */
export const BATCH_MARK = '@@fab-haproxy-next@@';

/**
 * Several commands on the socket in one shell line (one round trip), each on its own connection as
 * `adminSocketCommand` sends it, in order, stopping at the first socat that fails; the answers are separated by
 * BATCH_MARK lines (`splitBatch`).
 */
export function adminSocketBatch(socket: string, commands: readonly string[]): ShellCommand {
  const text = commands.map((c) => adminSocketCommand(socket, c).text).join(` && echo ${BATCH_MARK} && `);
  return raw(text, `(haproxy ${socket}: ${commands.join('; ')})`);
}

/** The answers of `adminSocketBatch`, in order. */
export function splitBatch(stdout: string): string[] {
  return stdout.split(`${BATCH_MARK}\n`);
}

/**
 * Take a server out, as script text run by the conf edit's commit script once the new conf is in place: `state
 * drain` and `show stat` on one connection (HAProxy answers `;`-separated commands in order, each answer ending
 * with an empty line), then `state maint` at once when the server has no session left (else the caller polls).
 * Answers are printed as `adminSocketBatch` prints them; a refused drain stops there (the caller reports it), and
 * a socat that fails ends the script with its status.
 */
export function drainThenMaint(socket: string, backend: string, server: string): string {
  const say = (command: string) => adminSocketCommand(socket, command).text;
  // Idle: no row of this server with sessions (a stat without the columns is never idle: the caller reads it).
  const idle = [
    'NR == 1 { sub(/^# */, ""); for (i = 1; i <= NF; i++) c[$i] = i; next }',
    '$c["pxname"] == b && $c["svname"] == s && $c["scur"] != 0 { busy = 1 }',
    'END { exit (busy || !c["scur"]) }',
  ].join('\n');
  return [
    "nl='\n'",
    `out=$(${say(`${setServerState(backend, server, 'drain')}; ${SHOW_STAT}`)}) || exit $?`,
    // The drain's answer is the first line (empty when done), `show stat`'s the rest.
    'a=${out%%"$nl"*}',
    `printf '%s\\n' "$a"`,
    `case $a in *[![:space:]]*) exit 0;; esac`,
    `echo ${BATCH_MARK}`,
    'st=${out#*"$nl"}',
    `printf '%s\\n' "$st"`,
    sh`printf '%s\\n' "$st" | awk -F, -v b=${backend} -v s=${server} ${idle} || exit 0`.text,
    `echo ${BATCH_MARK}`,
    say(setServerState(backend, server, 'maint')),
  ].join('\n');
}
