import { posix } from 'node:path';
import { sh, type ShellCommand } from './quote.js';

/**
 * The deploy lock's shell: a directory made atomically by `mkdir`, with a `holder` file saying which run
 * took it. Pure builders; lib/rolling/lock.ts runs them on every host.
 */

/** Exit status of `takeLock` when another holder has the lock (EX_TEMPFAIL: try again later). */
export const LOCK_HELD = 75;

/** `run=<id> user=... time=...`: what the holder file says. */
export const holderInfo = (runId: string, user: string, machine: string, time: string): string =>
  `run=${runId} user=${user}@${machine} time=${time}`;

/** Whether a holder line is this run's (resuming a run finds its own lock). */
export const heldByRun = (holder: string, runId: string): boolean => holder.includes(`run=${runId} `);

/** Print who holds the lock; fails when nobody does. */
export const readHolder = (dir: string): ShellCommand => sh`cat -- ${dir}/holder 2>/dev/null`;

/** Remove a lock whatever holds it (`--break-lock`). */
export const removeLock = (dir: string): ShellCommand => sh`rm -rf -- ${dir}`;

/**
 * Take the lock directory atomically (mkdir), or print its holder and exit LOCK_HELD. Its folder may not exist
 * before the first deploy, so it is made first. Only a lock that is there counts as held; any other failure
 * (permissions, a file in the way) is reported as itself by a second mkdir.
 */
export function takeLock(dir: string, info: string): ShellCommand {
  const lock = sh`mkdir -- ${dir}`;
  return sh`mkdir -p -- ${posix.dirname(dir)} && if ${lock} 2>/dev/null; then printf '%s\\n' ${info} > ${`${dir}/holder`}; \
elif [ -d ${dir} ]; then cat -- ${`${dir}/holder`} 2>/dev/null || echo unknown; exit ${LOCK_HELD}; else ${lock}; fi`;
}

/** Release the lock only if this run holds it; never fails. */
export const releaseLock = (dir: string, runId: string): ShellCommand =>
  sh`grep -q -- ${`run=${runId} `} ${dir}/holder 2>/dev/null && rm -rf -- ${dir}; true`;
