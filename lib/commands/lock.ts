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
 * Take the lock directory atomically: a temp directory beside it gets the holder file first and is then renamed
 * into place, so a taker stopped at any moment leaves either no lock or a lock that names its holder (a resumed
 * run finds its own). Its folder may not exist before the first deploy, so it is made first. Only a lock that is
 * there counts as held; any other failure (permissions, a file in the way) is reported as itself. An empty
 * directory in its place (a lock whose removal was stopped half-way) is taken over by the rename.
 */
export function takeLock(dir: string, info: string): ShellCommand {
  const holder = `${dir}/holder`;
  return sh`mkdir -p -- ${posix.dirname(dir)} && t=$(mktemp -d -- ${`${dir}.XXXXXX`}) && chmod 755 "$t" && \
printf '%s\\n' ${info} > "$t/holder" && if e=$(mv -T -- "$t" ${dir} 2>&1); then :; else rm -rf -- "$t"; \
if [ -d ${dir} ]; then cat -- ${holder} 2>/dev/null || echo unknown; exit ${LOCK_HELD}; fi; \
printf '%s\\n' "$e" >&2; exit 1; fi`;
}

/**
 * Release the lock only if this run holds it; never fails. Renamed aside before it is removed, so a release stopped
 * half-way never leaves a lock without its holder file.
 */
export const releaseLock = (dir: string, runId: string): ShellCommand =>
  sh`grep -q -- ${`run=${runId} `} ${dir}/holder 2>/dev/null && t=$(mktemp -u -- ${`${dir}.XXXXXX`}) && \
mv -T -- ${dir} "$t" && rm -rf -- "$t"; true`;
