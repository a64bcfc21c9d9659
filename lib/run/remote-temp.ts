/**
 * The private temp folder of a transfer as root (put with sudo or owner, get with sudo): made by the login user
 * with mktemp, removed afterwards whatever happened, Ctrl-C included.
 */
import { raw, sh } from '../commands/quote.js';
import type { RemoteProcess, Transport } from '../transport/types.js';
import type { Host } from './host.js';

/** After Ctrl-C, how long the host has to remove the temp folder before fab goes on without it. */
export const CLEANUP_WAIT_MS = 3000;

export async function makeRemoteTemp(ctx: Host, kind: 'put' | 'get'): Promise<string> {
  const mktemp = raw(`mktemp -d "\${TMPDIR:-/tmp}/.fab-${kind}.XXXXXXXX"`);
  return (await ctx.unscoped(() => ctx.run(mktemp).quiet())).stdout.trim();
}

/**
 * `rm -rf` the temp folder as the login user (it owns the folder, so also a file root left in it). After Ctrl-C
 * the runner refuses new commands: then the command goes straight to the transport, waited for at most
 * CLEANUP_WAIT_MS, and a failure is ignored (best effort: the interruption is what the run reports).
 */
export async function removeRemoteTemp(ctx: Host, t: Transport, dir: string, signal?: AbortSignal): Promise<void> {
  const rm = sh`rm -rf -- ${dir}`;
  if (!signal?.aborted) {
    await ctx.unscoped(() => ctx.run(rm).quiet().nothrow());
    return;
  }
  const running: { proc?: RemoteProcess; done?: boolean } = {};
  const removed = (async () => {
    running.proc = await t.exec(rm.text, { onStdout: () => undefined, onStderr: () => undefined });
    running.proc.end();
    await running.proc.done;
    running.done = true;
  })().catch(() => undefined); // the connection is gone or the host refused: nothing more to do from here
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<void>((res) => (timer = setTimeout(res, CLEANUP_WAIT_MS)));
  await Promise.race([removed, late]);
  clearTimeout(timer);
  if (!running.done) running.proc?.kill();
}
