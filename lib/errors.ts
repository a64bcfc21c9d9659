/**
 * Error classes carry what a user needs to act: the host, the command requested and executed,
 * the exit code, the tail of stderr, or for bad input the file/key/argument and the fix.
 */

export class FabError extends Error {
  override name = 'FabError';
  /** Exit code of `fab` when this error ends the run. */
  readonly exitCode: number = 1;
}

/** Bad input from the command line, a fabfile or a host set: exit 2, nothing touched. */
export class UsageError extends FabError {
  override name = 'UsageError';
  override readonly exitCode = 2;
  constructor(
    message: string,
    readonly fix?: string,
  ) {
    super(fix ? `${message}\n  fix: ${fix}` : message);
  }
}

/** A fabfile or host file that fails to load (syntax error, throws on import). */
export class FabfileError extends UsageError {
  override name = 'FabfileError';
  constructor(
    readonly file: string,
    detail: string,
  ) {
    super(`cannot load ${file}: ${detail}`, 'correct the file, then run `fab --list` to check it loads');
  }
}

export const tail = (text: string, lines = 10): string => text.trimEnd().split('\n').slice(-lines).join('\n');

/** A remote or local command that exited non-zero (or was killed). */
export class CommandError extends FabError {
  override name = 'CommandError';
  constructor(
    readonly host: string,
    readonly requested: string,
    readonly executed: string,
    readonly code: number | null,
    readonly stderrTail: string,
    readonly signal: string | null = null,
  ) {
    const status = code === null ? `was killed${signal ? ` by ${signal}` : ''}` : `exited with code ${code}`;
    const lines = [`[${host}] command ${status}`, `  Requested: ${requested}`, `  Executed:  ${executed}`];
    if (stderrTail) lines.push('  stderr (last lines):', ...stderrTail.split('\n').map((l) => `    ${l}`));
    super(lines.join('\n'));
  }
}

export class CommandTimeoutError extends FabError {
  override name = 'CommandTimeoutError';
  constructor(
    readonly host: string,
    readonly requested: string,
    readonly ms: number,
  ) {
    super(`[${host}] command timed out after ${ms / 1000}s: ${requested}`);
  }
}

export class ConnectError extends FabError {
  override name = 'ConnectError';
  constructor(
    readonly host: string,
    readonly target: string,
    readonly reason: string,
  ) {
    super(`[${host}] cannot connect to ${target}: ${reason}`);
  }
}

/** The connection dropped after it was open (host down, network cut). */
export class ConnectionLostError extends FabError {
  override name = 'ConnectionLostError';
  constructor(
    readonly host: string,
    readonly target: string,
    readonly reason: string,
  ) {
    super(`[${host}] lost the connection to ${target}: ${reason}`);
  }
}

export type HostKeyProblem = 'unknown' | 'changed' | 'revoked';

export class HostKeyError extends FabError {
  override name = 'HostKeyError';
  constructor(
    readonly host: string,
    readonly target: string,
    readonly problem: HostKeyProblem,
    readonly offered: string,
    readonly known: string[],
    readonly files: string[],
  ) {
    super(HostKeyError.describe(host, target, problem, offered, known, files));
  }

  private static describe(host: string, target: string, problem: HostKeyProblem, offered: string, known: string[], files: string[]): string {
    const where = files.join(', ') || '(no known_hosts file)';
    if (problem === 'changed') {
      return [
        `[${host}] HOST KEY CHANGED for ${target}: refusing to connect (possible man-in-the-middle, or the host was rebuilt)`,
        `  offered:  ${offered}`,
        ...known.map((k) => `  expected: ${k}`),
        `  fix: if the change is expected, remove the old entry (ssh-keygen -R '${target}' -f FILE) from ${where}`,
      ].join('\n');
    }
    if (problem === 'revoked') return `[${host}] host key ${offered} of ${target} is marked @revoked in ${where}: refusing to connect`;
    return [
      `[${host}] unknown host key for ${target}: refusing to connect`,
      `  offered: ${offered}`,
      `  fix: verify the fingerprint out of band, then add it to ${where} or run once with --accept-new`,
    ].join('\n');
  }
}

/** sudo needed a password we do not have, or rejected the one we gave. The password is never included. */
export class SudoError extends FabError {
  override name = 'SudoError';
  constructor(
    readonly host: string,
    readonly requested: string,
    reason: string,
  ) {
    super(`[${host}] sudo: ${reason}\n  Requested: ${requested}`);
  }
}

export class InterruptedError extends FabError {
  override name = 'InterruptedError';
  constructor() {
    super('interrupted');
  }
}

/** A remote file edit that did not happen; the file on the host is as it was. */
export class FileEditError extends FabError {
  override name = 'FileEditError';
  constructor(
    readonly host: string,
    readonly path: string,
    readonly reason: string,
  ) {
    super(`[${host}] ${path}: ${reason}`);
  }
}

/** Summary of errors from several hosts (execute(), runsOnce tasks over many hosts). */
export class GroupError extends FabError {
  override name = 'GroupError';
  constructor(readonly failures: ReadonlyMap<string, Error>) {
    super(
      `failed on ${failures.size} host(s):\n` +
        [...failures].map(([h, e]) => `  ${h}: ${e.message.split('\n')[0]}`).join('\n'),
    );
  }
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/** `abort(message)` in a fabfile (Fabric's abort), or a confirmation answered no: stop, exit 1. */
export class AbortError extends FabError {
  override name = 'AbortError';
}
