import { userInfo, hostname } from 'node:os';
import { posix } from 'node:path';
import { sh, type ShellCommand } from '../commands/quote.js';
import { LockError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { TaskContext } from '../task/context.js';

export { LockError };

/**
 * A deploy lock on every host of a rolling run, so two operators cannot roll the same hosts at once:
 * a directory created atomically (mkdir), holding who took it, when, and for which run.
 */


const info = (runId: string) => `run=${runId} user=${userInfo().username}@${hostname()} time=${new Date().toISOString()}`;

/** Exit 75 and the holder's line when the lock is held; 0 when taken. */
export const LOCK_HELD = 75;

/**
 * Take the lock directory atomically (mkdir). Its folder may not exist before the first deploy, so it is made
 * first. Only a lock that is there counts as held; any other failure (permissions, a file in the way) is
 * reported as itself by a second mkdir.
 */
export function takeLockCommand(dir: string, holder: string): ShellCommand {
  const lock = sh`mkdir -- ${dir}`;
  return sh`mkdir -p -- ${posix.dirname(dir)} && if ${lock} 2>/dev/null; then printf '%s\\n' ${holder} > ${`${dir}/holder`}; \
elif [ -d ${dir} ]; then cat -- ${`${dir}/holder`} 2>/dev/null || echo unknown; exit ${LOCK_HELD}; else ${lock}; fi`;
}

async function takeOne(ctx: TaskContext, host: HostTarget, dir: string, runId: string, breakLock: boolean): Promise<void> {
  await ctx.on(host, async (h) => {
    if (breakLock) {
      const held = await h.run(sh`cat -- ${dir}/holder 2>/dev/null`).quiet().nothrow();
      if (held.ok && !held.stdout.includes(`run=${runId} `)) {
        h.warn(`breaking the deploy lock ${dir} held by: ${held.stdout.trim()}`);
        await h.run(sh`rm -rf -- ${dir}`).quiet();
      }
    }
    const r = await h.run(takeLockCommand(dir, info(runId))).quiet().nothrow();
    if (r.code === LOCK_HELD) {
      const holder = r.stdout.trim();
      if (holder.includes(`run=${runId} `)) return; // our own lock, e.g. when resuming
      throw new LockError(`[${host.name}] deploy lock ${dir} is held: ${holder}\n  fix: wait for that run to end, or pass --break-lock if it is dead`);
    }
    if (!r.ok) throw new LockError(`[${host.name}] cannot take the deploy lock ${dir}: ${r.stderr.trim()}`);
  });
}

/** Take the lock on every host or on none (a refusal releases what was taken). */
export async function acquireLocks(ctx: TaskContext, hosts: readonly HostTarget[], dir: string, runId: string, breakLock: boolean): Promise<() => Promise<void>> {
  const taken: HostTarget[] = [];
  // Every host is tried even when one is unreachable (its lock then stays, and the next run says so).
  const release = async () => {
    await Promise.allSettled(taken.map((h) => ctx.on(h, (c) => c.run(sh`grep -q -- ${`run=${runId} `} ${dir}/holder 2>/dev/null && rm -rf -- ${dir}; true`).quiet().nothrow())));
  };
  const results = await Promise.allSettled(hosts.map(async (h) => {
    await takeOne(ctx, h, dir, runId, breakLock);
    taken.push(h);
  }));
  const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (refused) {
    await release();
    throw refused.reason;
  }
  return release;
}
