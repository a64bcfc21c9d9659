/**
 * Fabric's reboot(), but waiting for facts instead of a fixed sleep: run the reboot command as root, wait
 * until the old connection is gone, then reconnect with backoff (same endpoint, same host-key checks)
 * until SSH answers a command again. The task then continues on the new connection.
 */
import { CommandError, ConnectError, ConnectionLostError, RebootError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import type { Host } from './host.js';
import { toMs } from './result.js';

export interface RebootOptions {
  /** How long the host may take to answer again: seconds, or '5m' (default 120 s, Fabric's default wait). */
  wait?: number | string;
  /** The command, run with sudo (default: the `rebootCommand` setting, else `reboot`). */
  command?: string;
  /** How long the old connection may stay up after the command (default 60 s). */
  dropTimeout?: number | string;
}

const PROBE_TIMEOUT_MS = 3000;
const FIRST_BACKOFF_MS = 250;
const MAX_BACKOFF_MS = 5000;

/** Seconds as a number (Fabric), or a duration string. */
const duration = (v: number | string): number => (typeof v === 'number' ? v * 1000 : toMs(v));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Does `true` still run over this connection within a few seconds? */
export async function answers(t: Transport): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  try {
    const proc = await t.exec('true', { onStdout: () => undefined, onStderr: () => undefined });
    proc.end();
    const late = new Promise<null>((r) => (timer = setTimeout(() => r(null), PROBE_TIMEOUT_MS)));
    const r = await Promise.race([proc.done, late]);
    if (r === null) proc.kill();
    return r?.code === 0;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
  }
}

export async function reboot(
  ctx: Host,
  reopen: () => Promise<Transport>,
  opts: RebootOptions = {},
): Promise<{ ms: number }> {
  const command = opts.command ?? ctx.settings.string('rebootCommand', 'reboot');
  if (ctx.dryRun) {
    ctx.log(`would reboot (${command}) and wait for SSH`);
    return { ms: 0 };
  }
  const waitMs = duration(opts.wait ?? 120);
  const dropMs = duration(opts.dropTimeout ?? 60);
  const started = Date.now();
  const old = await ctx.connection();
  ctx.log(`rebooting: ${command}`);
  try {
    await ctx.unscoped(() => ctx.sudo(command).quiet().timeout(dropMs));
  } catch (err) {
    // The command may take our session down with it before it can report an exit status: that is the point.
    const dropped = err instanceof ConnectionLostError || (err instanceof CommandError && err.code === null);
    if (!dropped) throw err;
  }
  while (await answers(old)) {
    if (Date.now() - started > dropMs) {
      throw new RebootError(ctx.host.name, `the connection was still up ${dropMs / 1000}s after \`${command}\``);
    }
    await sleep(FIRST_BACKOFF_MS);
  }
  const upFrom = Date.now();
  let backoff = FIRST_BACKOFF_MS;
  let last = 'no answer yet';
  for (;;) {
    try {
      if (await answers(await reopen())) break;
      last = 'connected, but a command did not run';
    } catch (err) {
      // A changed host key, a refused login or a bad config will not fix itself: stop at once.
      if (err instanceof ConnectError && !err.retryable) throw err;
      last = err instanceof Error ? err.message : String(err);
    }
    if (Date.now() - upFrom + backoff > waitMs) {
      throw new RebootError(
        ctx.host.name,
        `SSH did not answer within ${waitMs / 1000}s after the reboot (last: ${last})`,
      );
    }
    await sleep(backoff);
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
  const ms = Date.now() - started;
  ctx.log(`back after ${(ms / 1000).toFixed(1)}s`);
  return { ms };
}
