import { posix, resolve as resolveLocal } from 'node:path';
import { join, quote, raw, sh, toCommand, type ShellCommand } from '../commands/quote.js';
import { withSecretInput } from '../commands/secret-input.js';
import { UsageError } from '../errors.js';

/** Settings that `cd`, `withEnv`, `prefix` and `warnOnly` scope around a block, without globals. */
export interface Scope {
  readonly cwd?: string;
  /** `lcd`: the local directory for `$` (zx) commands; unset means the process cwd. */
  readonly localCwd?: string;
  readonly env: Readonly<Record<string, string>>;
  readonly prefixes: readonly ShellCommand[];
  readonly warnOnly: boolean;
}

export const ROOT_SCOPE: Scope = { env: {}, prefixes: [], warnOnly: false };

/** Fabric joins nested `cd`s: cd('/srv') then cd('app') is /srv/app; an absolute or ~ path starts over. */
export function scopeCd(scope: Scope, path: string): Scope {
  if (path === '') throw new UsageError('cd(""): empty path', 'pass a directory');
  const starts = path.startsWith('/') || path.startsWith('~') || scope.cwd === undefined;
  return { ...scope, cwd: starts ? path : posix.join(scope.cwd!, path) };
}

/** `lcd('build')` inside `lcd('/src')` is /src/build; relative to the process cwd at the top. */
export function scopeLcd(scope: Scope, path: string): Scope {
  if (path === '') throw new UsageError('lcd(""): empty path', 'pass a local directory');
  return { ...scope, localCwd: resolveLocal(scope.localCwd ?? process.cwd(), path) };
}

const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function scopeEnv(scope: Scope, vars: Record<string, string | number>): Scope {
  const env: Record<string, string> = { ...scope.env };
  for (const [k, v] of Object.entries(vars)) {
    if (!ENV_NAME.test(k))
      throw new UsageError(
        `withEnv: "${k}" is not a valid environment variable name`,
        'use letters, digits and _, not starting with a digit',
      );
    env[k] = String(v);
  }
  return { ...scope, env };
}

export function scopePrefix(scope: Scope, cmd: string | ShellCommand): Scope {
  return { ...scope, prefixes: [...scope.prefixes, toCommand(cmd)] };
}

/** `~/a b` -> `~/'a b'`: the tilde stays live for the shell, the rest is quoted. */
export function quotePath(path: string): string {
  if (path === '~') return '~';
  if (path.startsWith('~/')) return `~/${quote(path.slice(2))}`;
  return quote(path);
}

/** The command line that runs `cmd` inside the scope: `cd DIR && export K=V && PREFIX && CMD`. */
export function applyScope(scope: Scope, cmd: ShellCommand): ShellCommand {
  const parts: ShellCommand[] = [];
  if (scope.cwd !== undefined) parts.push(raw(`cd ${quotePath(scope.cwd)}`));
  const env = Object.entries(scope.env);
  if (env.length) parts.push(raw(`export ${env.map(([k, v]) => `${k}=${quote(v)}`).join(' ')}`));
  parts.push(...scope.prefixes, cmd);
  return join(parts, ' && ');
}

export interface SudoOptions {
  user?: string;
  group?: string;
}

/** Markers that let the runner tell sudo's own prompt and the start of the command apart from output. */
export interface SudoMarks {
  prompt: string;
  start: string;
}

/**
 * `sudo -S -p PROMPT [-u U] [-g G] -- sh -c 'printf START >&2 && cd DIR && CMD'`: the whole scoped
 * command runs inside the sudo shell, so `cd` + `sudo` works (Fabric 1 produced `sudo cd x && ...`).
 * The start marker on stderr tells the runner that sudo has finished asking for a password. Secrets are read
 * inside the sudo shell (after the password), so they reach the command as the target user.
 */
export function sudoWrap(command: ShellCommand, opts: SudoOptions, marks: SudoMarks): ShellCommand {
  const scoped = withSecretInput(command);
  const who: string[] = [];
  if (opts.user) who.push('-u', opts.user);
  if (opts.group) who.push('-g', opts.group);
  const wrap = (inner: string): string =>
    sh`sudo -S -p ${marks.prompt} -H ${who} -- sh -c ${`printf '%s\\n' ${quote(marks.start)} >&2 && ${inner}`}`.text;
  return raw(wrap(scoped.text), wrap(scoped.display), { input: scoped.input });
}
