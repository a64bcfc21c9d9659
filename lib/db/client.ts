import { raw, Secret, sh, type ShellCommand } from '../commands/quote.js';
import { FabError, SqlError } from '../errors.js';

export { SqlError };
import type { Host } from '../run/host.js';
import type { RunResult } from '../run/result.js';

/**
 * SQL on a host with the mysql/mariadb client. Credentials travel on stdin into a defaults file of
 * mode 600 in a private temp dir (mktemp -d, removed on exit), so no password is ever on a command
 * line that `ps` shows, nor in output, events or errors.
 */
export interface DbCredentials {
  user?: string;
  password?: Secret;
  host?: string;
  port?: number;
  socket?: string;
  /** An option file to `!include` first (e.g. the server's my.cnf: datadir and socket for mariabackup). */
  include?: string;
}

const OPT_VALUE = /^[^\n\r]*$/;

/** Pure: the option file text. Groups [client] and [mariabackup]/[xtrabackup] get the same login. */
export function defaultsFileText(c: DbCredentials): string {
  const login: string[] = [];
  const put = (k: string, v: string | number | undefined) => {
    if (v === undefined) return;
    const s = String(v);
    if (!OPT_VALUE.test(s)) throw new FabError(`database option ${k} contains a newline`);
    login.push(`${k}="${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`);
  };
  put('user', c.user);
  put('password', c.password?.reveal());
  put('host', c.host);
  put('port', c.port);
  put('socket', c.socket);
  const body = login.join('\n');
  return `${c.include ? `!include ${c.include}\n` : ''}[client]\n${body}\n[mariabackup]\n${body}\n[xtrabackup]\n${body}\n`;
}

/**
 * Pure: a shell script that reads exactly `lines` lines of stdin into $FAB_MY_CNF (a 0600 file in a
 * fresh 0700 dir), runs `command` (which refers to "$FAB_MY_CNF"), and removes the dir whatever happens.
 */
export function withDefaultsFile(lines: number, command: string): string {
  return [
    'umask 077',
    'd=$(mktemp -d "${TMPDIR:-/tmp}/fab-my.XXXXXXXX") || exit 97',
    `trap 'rm -rf "$d"' EXIT`,
    "trap 'exit 129' HUP INT TERM",
    'FAB_MY_CNF="$d/my.cnf"',
    // the shell's read takes no byte past a line (the rest of stdin stays for the command), and unlike dd it
    // is no process: on a loaded host each one costs tens of ms
    `i=0; while [ $i -lt ${lines} ] && IFS= read -r l; do printf '%s\\n' "$l"; i=$((i+1)); done >"$FAB_MY_CNF"; l=`,
    `[ $i = ${lines} ] || exit 97`,
    command,
  ].join('\n');
}

/** The line count withDefaultsFile needs: defaultsFileText ends every line with a newline. */
export const cnfLines = (cnf: string): number => cnf.split('\n').length - 1;

export interface WithCredentialsOptions {
  sudo?: boolean;
  /** Given to the command on stdin after the defaults file (SQL). */
  input?: string;
  /** What the event stream shows instead of the script. */
  display: string;
  timeoutMs?: number;
  /** Read-only: runs under --dry-run too. */
  probe?: boolean;
}

/** Run `command` (using "$FAB_MY_CNF") with the credentials in a temp defaults file; never throws on exit code. */
export async function runWithCredentials(
  ctx: Host,
  creds: DbCredentials,
  command: string,
  o: WithCredentialsOptions,
): Promise<RunResult> {
  if (creds.password) ctx.events.addSecret(creds.password.reveal());
  const text = defaultsFileText(creds);
  const cnf = Buffer.from(text, 'utf8');
  const script = withDefaultsFile(cnfLines(text), command);
  const cmd: ShellCommand = raw(sh`sh -c ${script}`.text, o.display);
  const stdin = Buffer.concat([cnf, Buffer.from(o.input ?? '', 'utf8')]);
  const c = ctx.unscoped(() => (o.sudo ? ctx.sudo(cmd) : ctx.run(cmd)).quiet().nothrow().stdin(stdin));
  if (o.timeoutMs) c.timeout(o.timeoutMs);
  if (o.probe) c.probe();
  return c;
}

export type Row = Record<string, string | null>;

/** Pure: `mysql --batch` output (tab-separated, header first, \t \n \\ escaped, NULL) into rows. */
export function parseBatch(out: string): Row[] {
  const lines = out.split('\n').filter((l) => l !== '');
  const header = lines.shift()?.split('\t') ?? [];
  const unescape = (v: string): string | null =>
    v === 'NULL' ? null : v.replace(/\\(.)/g, (_, c: string) => ({ t: '\t', n: '\n', '0': '\0', '\\': '\\' })[c] ?? c);
  return lines.map((l) => {
    const f = l.split('\t');
    return Object.fromEntries(header.map((h, i) => [h, unescape(f[i] ?? '')]));
  });
}

export interface SqlOptions {
  client?: string;
  sudo?: boolean;
  database?: string;
  timeoutMs?: number;
  /** shown instead of the SQL */ display?: string;
}

/**
 * Run SQL and parse its result into rows (one result set: ask one query per call; statements
 * without results give []). The SQL goes on
 * stdin, so CHANGE MASTER TO ... PASSWORD stays off the command line; its display is `(sql on ...)`.
 */
export async function sql(ctx: Host, creds: DbCredentials, statements: string, opts: SqlOptions = {}): Promise<Row[]> {
  const client = opts.client ?? 'mariadb';
  const db = opts.database ? ` ${sh`${opts.database}`.text}` : '';
  const target = creds.socket ?? `${creds.host ?? 'localhost'}:${creds.port ?? 3306}`;
  const display =
    opts.display ??
    `(${client} as ${creds.user ?? 'default user'} on ${target}: ${statements.length > 60 ? `${statements.slice(0, 57)}...` : statements})`;
  const readOnly = /^\s*(select|show)\b/i.test(statements);
  const r = await runWithCredentials(ctx, creds, `${sh`${client}`.text} --defaults-file="$FAB_MY_CNF" --batch${db}`, {
    sudo: opts.sudo ?? false,
    probe: readOnly,
    input: statements.endsWith(';') ? statements : `${statements};`,
    display,
    ...(opts.timeoutMs ? { timeoutMs: opts.timeoutMs } : {}),
  });
  if (r.skipped) return [];
  if (!r.ok)
    throw new SqlError(
      ctx.host.name,
      display,
      r.code,
      ctx.events.mask(r.stderr.trim().split('\n').slice(-5).join('\n')),
    );
  return parseBatch(r.stdout);
}
