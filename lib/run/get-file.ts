/**
 * get of one file to a local path template ({host}, %(host)s, ...), as root through a private temp folder with
 * sudo; no two hosts write the same local file in a run. Shell text comes from commands/transfer.ts.
 */
import { mkdir, stat } from 'node:fs/promises';
import { resolve as resolveLocal } from 'node:path';
import { hasHostToken, localPathFor, sudoFetchScript } from '../commands/transfer.js';
import { UsageError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import type { GetOptions, Host } from './host.js';
import { makeRemoteTemp, removeRemoteTemp } from './remote-temp.js';
import { progress, sizeCheck } from './transfer-progress.js';

/** Local paths written by get() in this run, with the host that wrote each: no host overwrites another's file. */
const written = new WeakMap<object, Map<string, string>>();

/** Download `remote` (absolute) to the local path template (`{host}`, `%(host)s`, `{path}`, ...). */
export async function getFile(
  ctx: Host,
  t: Transport,
  run: { readonly signal?: AbortSignal },
  remote: string,
  template: string,
  opts: GetOptions,
): Promise<{ local: string; bytes: number }> {
  const local = resolveLocal(localPathFor(template, ctx.host.name, remote));
  const seen = written.get(run) ?? new Map<string, string>();
  written.set(run, seen);
  const other = seen.get(local);
  if (other !== undefined && other !== ctx.host.name) {
    throw new UsageError(
      `get: ${local} was already downloaded from ${other} in this run; ${ctx.host.name} would overwrite it`,
      'put {host} in the local path, e.g. get(path, "backups/{host}/{basename}")',
    );
  }
  seen.set(local, ctx.host.name);
  if (ctx.dryRun) {
    ctx.log(`would download ${remote} to ${local}`);
    return { local, bytes: 0 };
  }
  await mkdir(resolveLocal(local, '..'), { recursive: true });
  let from = remote;
  let tmp: string | undefined;
  if (opts.sudo) {
    tmp = await makeRemoteTemp(ctx, 'get');
    from = `${tmp}/f`;
  }
  try {
    if (tmp) await ctx.unscoped(() => ctx.sudo(sudoFetchScript(remote, from)).quiet());
    // No stat of the remote file first: the transport checks the size it read against the file's own
    // (cat's header, SFTP's stat), which saves the SFTP session and its round trips.
    const onProgress = progress(ctx, 'get', local, remote);
    const bytes = await t.get(from, local, run.signal ? { onProgress, signal: run.signal } : { onProgress });
    sizeCheck(ctx, local, (await stat(local)).size, bytes);
    ctx.events.emit({ type: 'transfer', host: ctx.host.name, direction: 'get', local, remote, bytes });
    return { local, bytes };
  } finally {
    if (tmp) await removeRemoteTemp(ctx, t, tmp, run.signal);
  }
}

/** A template that names no host would make every host write the same local file. */
export function checkGetTemplate(template: string | undefined, hosts: number): void {
  if (template === undefined || hosts < 2 || hasHostToken(template)) return;
  throw new UsageError(
    `get: the local path ${template} is the same for all ${hosts} hosts of this run`,
    'put {host} (or Fabric\'s %(host)s) in it, e.g. "{host}/{basename}"',
  );
}
