/**
 * Where the OpenSSH masters' control sockets live: a directory only this user can enter. Anyone who
 * can connect to a master's socket runs commands as us on the host without a key, so a directory
 * that is not ours or that others can enter is refused, never repaired behind the user's back.
 */
import { lstatSync, mkdirSync, readdirSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';

/** A Unix socket path is at most 107 bytes; OpenSSH adds 17 for its temporary name while binding. */
const MAX_SOCKET_PATH = 107 - 17;

/** `$XDG_RUNTIME_DIR/fabts` (per-user, tmpfs, removed at logout) or `~/.cache/fabts/ssh`. */
export function controlDirPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_RUNTIME_DIR) return join(env.XDG_RUNTIME_DIR, 'fabts');
  return join(env.XDG_CACHE_HOME || join(env.HOME || homedir(), '.cache'), 'fabts', 'ssh');
}

/** Refuses a directory another user owns or others may enter; creates it 0700 when missing. */
export function ensureControlDir(dir: string, uid = process.getuid?.() ?? 0): string {
  const check = (): boolean => {
    let st;
    try {
      st = lstatSync(dir);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
      throw err;
    }
    const fix = `remove it (rm -rf ${dir}) and let fab create it, or point XDG_RUNTIME_DIR elsewhere`;
    if (!st.isDirectory()) throw new UsageError(`control socket directory ${dir} is not a directory`, fix);
    if (st.uid !== uid) {
      throw new UsageError(
        `control socket directory ${dir} belongs to uid ${st.uid}, not to you (uid ${uid}): refusing to use its sockets`,
        fix,
      );
    }
    if ((st.mode & 0o077) !== 0) {
      const mode = (st.mode & 0o777).toString(8);
      throw new UsageError(
        `control socket directory ${dir} has mode ${mode}: others could use its SSH connections`,
        `chmod 700 ${dir}, or ${fix}`,
      );
    }
    return true;
  };
  if (!check()) {
    mkdirSync(join(dir, '..'), { recursive: true, mode: 0o700 });
    try {
      mkdirSync(dir, { mode: 0o700 });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    check();
  }
  return dir;
}

/** A persistent master's socket (shared by every run of this user), or one of this run only. */
export function socketPath(dir: string, identity: string, persistent: boolean, pid = process.pid): string {
  const path = join(dir, persistent ? `p-${identity}` : `r-${pid}-${identity.slice(0, 16)}`);
  if (Buffer.byteLength(path) > MAX_SOCKET_PATH) {
    const fix = 'set XDG_RUNTIME_DIR (or HOME) to a shorter directory';
    throw new UsageError(`control socket path ${path} is too long for a Unix socket`, fix);
  }
  return path;
}

/** The persistent masters' sockets, for `fab --persist-stop`. */
export function persistentSockets(dir: string): string[] {
  try {
    return readdirSync(dir)
      .filter((f) => f.startsWith('p-') && !f.includes('.'))
      .map((f) => join(dir, f));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw err;
  }
}
