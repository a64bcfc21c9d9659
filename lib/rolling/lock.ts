import { userInfo, hostname } from 'node:os';
import { heldByRun, holderInfo, LOCK_HELD, readHolder, releaseLock, removeLock, takeLock } from '../commands/lock.js';
import { LockError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { TaskContext } from '../task/context.js';

export { LockError };
// The lock's commands live in lib/commands/lock.ts; these names are kept for existing callers.
export { LOCK_HELD, takeLock as takeLockCommand };

/**
 * A deploy lock on every host of a rolling run, so two operators cannot roll the same hosts at once:
 * a directory created atomically (mkdir), holding who took it, when, and for which run.
 */

const info = (runId: string) => holderInfo(runId, userInfo().username, hostname(), new Date().toISOString());

async function takeOne(
  ctx: TaskContext,
  host: HostTarget,
  dir: string,
  runId: string,
  breakLock: boolean,
): Promise<void> {
  await ctx.on(host, async (h) => {
    if (breakLock) {
      const held = await h.run(readHolder(dir)).quiet().nothrow();
      if (held.ok && !heldByRun(held.stdout, runId)) {
        h.warn(`breaking the deploy lock ${dir} held by: ${held.stdout.trim()}`);
        await h.run(removeLock(dir)).quiet();
      }
    }
    const r = await h
      .run(takeLock(dir, info(runId)))
      .quiet()
      .nothrow();
    if (r.code === LOCK_HELD) {
      const holder = r.stdout.trim();
      if (heldByRun(holder, runId)) return; // our own lock, e.g. when resuming
      throw new LockError(
        `[${host.name}] deploy lock ${dir} is held: ${holder}\n  fix: wait for that run to end, or pass --break-lock if it is dead`,
      );
    }
    if (!r.ok) throw new LockError(`[${host.name}] cannot take the deploy lock ${dir}: ${r.stderr.trim()}`);
  });
}

/** Take the lock on every host or on none (a refusal releases what was taken). */
export async function acquireLocks(
  ctx: TaskContext,
  hosts: readonly HostTarget[],
  dir: string,
  runId: string,
  breakLock: boolean,
): Promise<() => Promise<void>> {
  const taken: HostTarget[] = [];
  // Every host is tried even when one is unreachable (its lock then stays, and the next run says so).
  const release = async () => {
    await Promise.allSettled(taken.map((h) => ctx.on(h, (c) => c.run(releaseLock(dir, runId)).quiet().nothrow())));
  };
  const results = await Promise.allSettled(
    hosts.map(async (h) => {
      await takeOne(ctx, h, dir, runId, breakLock);
      taken.push(h);
    }),
  );
  const refused = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (refused) {
    await release();
    throw refused.reason;
  }
  return release;
}
