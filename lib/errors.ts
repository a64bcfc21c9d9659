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

/**
 * Why a connect failed. Retries skip what another attempt cannot fix (auth, host-key, config); with
 * --skip-bad-hosts every kind but host-key marks the host unreachable instead of failed.
 */
export type ConnectFailure = 'auth' | 'refused' | 'unreachable' | 'dns' | 'timeout' | 'host-key' | 'config' | 'other';

export class ConnectError extends FabError {
  override name = 'ConnectError';
  constructor(
    readonly host: string,
    readonly target: string,
    readonly reason: string,
    readonly kind: ConnectFailure = 'other',
    message = `[${host}] cannot connect to ${target}: ${reason}`,
  ) {
    super(message);
  }

  /** Worth another attempt: the network or the host may come back; a key or password will not change. */
  get retryable(): boolean {
    return !['auth', 'host-key', 'config'].includes(this.kind);
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

export class HostKeyError extends ConnectError {
  override name = 'HostKeyError';
  constructor(
    host: string,
    target: string,
    readonly problem: HostKeyProblem,
    readonly offered: string,
    readonly known: string[],
    readonly files: string[],
  ) {
    super(
      host,
      target,
      `host key ${problem}`,
      'host-key',
      HostKeyError.describe(host, target, problem, offered, known, files),
    );
  }

  private static describe(
    host: string,
    target: string,
    problem: HostKeyProblem,
    offered: string,
    known: string[],
    files: string[],
  ): string {
    const where = files.join(', ') || '(no known_hosts file)';
    if (problem === 'changed') {
      return [
        `[${host}] HOST KEY CHANGED for ${target}: ` +
          'refusing to connect (possible man-in-the-middle, or the host was rebuilt)',
        `  offered:  ${offered}`,
        ...known.map((k) => `  expected: ${k}`),
        `  fix: if the change is expected, remove the old entry (ssh-keygen -R '${target}' -f FILE) from ${where}`,
      ].join('\n');
    }
    if (problem === 'revoked')
      return `[${host}] host key ${offered} of ${target} is marked @revoked in ${where}: refusing to connect`;
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

/** A recipe step failed on a host; the message says what and in which state the host was left. */
export class RecipeError extends FabError {
  override name = 'RecipeError';
  constructor(
    readonly host: string | undefined,
    readonly detail: string,
  ) {
    super(host === undefined ? detail : `[${host}] ${detail}`);
  }
}

export type NginxProblem = 'not-running' | 'reload-failed' | 'reload-timeout' | 'unhealthy';
export class NginxError extends RecipeError {
  override name = 'NginxError';
  constructor(
    host: string,
    readonly problem: NginxProblem,
    detail: string,
  ) {
    super(host, detail);
  }
}

export type HaproxyProblem = 'refused' | 'unknown-server' | 'last-server' | 'drain-timeout';
export class HaproxyError extends RecipeError {
  override name = 'HaproxyError';
  constructor(
    host: string,
    readonly problem: HaproxyProblem,
    detail: string,
  ) {
    super(host, detail);
  }
}

export type DeployProblem = 'checksum' | 'download' | 'damaged' | 'import' | 'no-release';
export class DeployError extends RecipeError {
  override name = 'DeployError';
  constructor(
    host: string | undefined,
    readonly problem: DeployProblem,
    detail: string,
  ) {
    super(host, detail);
  }
}

/** A service that could not be started, stopped or reached in time. */
export class ServiceError extends RecipeError {
  override name = 'ServiceError';
}

/** A backup or restore step; restores say whether the original datadir is back. */
export class BackupError extends RecipeError {
  override name = 'BackupError';
}

/** The deploy lock is held by another run (or could not be taken). */
export class LockError extends FabError {
  override name = 'LockError';
}

/** A health gate that did not pass `rise` times in a row within its timeout. */
export class GateError extends FabError {
  override name = 'GateError';
  constructor(
    readonly gate: string,
    readonly host: string,
    readonly attempts: number,
    readonly last: string,
  ) {
    super(`[${host}] gate "${gate}" did not pass after ${attempts} attempt(s); last failure: ${last}`);
  }
}

/** SQL that failed on a host: the client's exit code and the (masked) tail of its stderr. */
export class SqlError extends FabError {
  override name = 'SqlError';
  constructor(
    readonly host: string,
    readonly what: string,
    readonly code: number | null,
    readonly stderrTail: string,
  ) {
    super(
      `[${host}] ${what} failed (exit ${code})${stderrTail ? `:\n    ${stderrTail.split('\n').join('\n    ')}` : ''}`,
    );
  }
}

/** A storage recipe (stripe, unstripe) stopped on what it found on the host; nothing was changed. */
export class StorageError extends FabError {
  override name = 'StorageError';
}

/** reboot(): the connection did not drop after the reboot command, or the host did not answer again in time. */
export class RebootError extends FabError {
  override name = 'RebootError';
  constructor(
    readonly host: string,
    detail: string,
  ) {
    super(`[${host}] reboot: ${detail}`);
  }
}

/**
 * A download that did not bring the whole file (it changed size on the way, the reader failed); nothing was
 * renamed into place.
 */
export class TransferError extends FabError {
  override name = 'TransferError';
  constructor(
    readonly path: string,
    detail: string,
  ) {
    super(`${path}: ${detail}`);
  }
}
