/**
 * put/get beyond one plain file: folders, globs, modes, sudo on either side, per-host local paths,
 * size checks and progress events. Shell text comes from commands/transfer.ts.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve as resolveLocal } from 'node:path';
import { sh } from '../commands/quote.js';
import {
  hasHostToken,
  localPathFor,
  planPut,
  sudoFetchScript,
  sudoInstallScript,
  type LocalFile,
  type LocalTree,
  type PlannedFile,
  type PutPlan,
} from '../commands/transfer.js';
import { FabError, UsageError } from '../errors.js';
import type { Progress, Transport } from '../transport/types.js';
import type { GetOptions, Host, PutOptions, PutResult } from './host.js';
import { modeOf, smallPut, streamPut } from './put-one.js';
import { makeRemoteTemp, removeRemoteTemp } from './remote-temp.js';

/** At most one progress event per transfer this often (--json consumers, the terminal). */
export const PROGRESS_EVERY_MS = 500;

/** Expands a put source: a file, a folder (recursively) or a glob, into the files under it. */
export async function scanLocal(source: string): Promise<LocalTree> {
  const tree: LocalTree = { sources: [], files: [], dirs: [] };
  const matches = /[*?[{]/.test(source) ? await expandGlob(source) : [resolveLocal(source)];
  if (!matches.length) throw new UsageError(`put: ${source} matches no file`, 'check the path or the glob pattern');
  for (const abs of matches) {
    const s = await stat(abs).catch(() => undefined);
    if (!s) {
      throw new UsageError(
        `put: no such local file or folder: ${source}`,
        'check the path (relative paths are from the current folder)',
      );
    }
    tree.sources.push({ name: basename(abs), isDir: s.isDirectory() });
    if (s.isDirectory()) await walk(abs, abs, tree);
    else tree.files.push({ abs, rel: basename(abs), mode: s.mode & 0o7777, size: s.size });
  }
  return tree;
}

async function expandGlob(pattern: string): Promise<string[]> {
  const { glob } = await import('tinyglobby');
  return (await glob(pattern, { onlyFiles: false, absolute: true, expandDirectories: false })).sort();
}

async function walk(root: string, dir: string, tree: LocalTree): Promise<void> {
  const rel = (p: string): string => join(basename(root), relative(root, p)).split('\\').join('/');
  tree.dirs.push(rel(dir));
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const abs = join(dir, e.name);
    const s = await stat(abs);
    if (s.isDirectory()) await walk(root, abs, tree);
    else if (s.isFile()) tree.files.push({ abs, rel: rel(abs), mode: s.mode & 0o7777, size: s.size });
  }
}

/** Throttled `transfer.progress` events for one file. */
function progress(ctx: Host, direction: 'put' | 'get', local: string, remote: string): Progress {
  const started = Date.now();
  let last = started;
  return (bytes, total) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    const host = ctx.host.name;
    ctx.events.emit({ type: 'transfer.progress', host, direction, local, remote, bytes, total, ms: now - started });
  };
}

function sizeCheck(ctx: Host, what: string, got: number | undefined, want: number): void {
  if (got === want) return;
  throw new FabError(
    `[${ctx.host.name}] ${what} arrived with ${got ?? 'no'} bytes, ${want} expected; the copy is incomplete`,
  );
}

/** Upload `source` (file, folder or glob) to the absolute remote path `remote`. */
export async function putFiles(
  ctx: Host,
  t: Transport,
  source: string,
  remote: string,
  opts: PutOptions,
  signal?: AbortSignal,
): Promise<PutResult> {
  const tree = await scanLocal(source);
  const single = tree.sources.length === 1 && !tree.sources[0]!.isDir;
  const remoteStat = single ? undefined : await t.stat(remote).catch(() => undefined);
  const mode = (f: LocalFile): number | undefined => opts.mode ?? (opts.mirrorLocalMode ? f.mode : undefined);
  const plan = planPut(tree, remote, remoteStat?.isDirectory ?? false, mode);
  if (ctx.dryRun) {
    for (const f of plan.files)
      ctx.log(`would upload ${f.local} to ${f.remote}${opts.sudo || opts.owner ? ' (as root)' : ''}`);
    return { remote, bytes: 0, files: [] };
  }
  const files =
    opts.sudo || opts.owner ? await putAsRoot(ctx, t, plan, opts.owner, signal) : await putDirect(ctx, t, plan, signal);
  for (const f of files) {
    ctx.events.emit({
      type: 'transfer',
      host: ctx.host.name,
      direction: 'put',
      local: f.local,
      remote: f.remote,
      bytes: f.bytes,
    });
  }
  return { remote, bytes: files.reduce((n, f) => n + f.bytes, 0), files };
}

async function putDirect(ctx: Host, t: Transport, plan: PutPlan, signal?: AbortSignal): Promise<PutResult['files']> {
  if (plan.dirs.length) await ctx.unscoped(() => ctx.run(sh`mkdir -p -- ${plan.dirs}`).quiet());
  const out: PutResult['files'] = [];
  for (const f of plan.files) {
    const onProgress = progress(ctx, 'put', f.local, f.remote);
    const quick =
      (await smallPut(t, f, f.remote, f.intoDir)) ?? (await streamPut(t, f, f.remote, onProgress, signal, f.intoDir));
    if (quick) {
      out.push(quick);
      continue;
    }
    let dest = f.remote;
    if (f.intoDir && (await t.stat(dest).catch(() => undefined))?.isDirectory)
      dest = `${dest.replace(/\/+$/, '')}/${f.intoDir}`;
    const onSftp = progress(ctx, 'put', f.local, dest);
    const bytes = await t.put(f.local, dest, { ...modeOf(f), onProgress: onSftp, ...(signal ? { signal } : {}) });
    sizeCheck(ctx, dest, (await t.stat(dest))?.size, bytes);
    out.push({ local: f.local, remote: dest, bytes });
  }
  return out;
}

/** Upload into a private `mktemp -d` folder, then install every file as root in one script (see sudoInstallScript). */
async function putAsRoot(
  ctx: Host,
  t: Transport,
  plan: PutPlan,
  owner: string | undefined,
  signal?: AbortSignal,
): Promise<PutResult['files']> {
  const tmp = await makeRemoteTemp(ctx, 'put');
  const names = plan.files.map((_, i) => `f${i}`);
  const out: PutResult['files'] = [];
  try {
    for (const [i, f] of plan.files.entries()) {
      const up = `${tmp}/${names[i]}`;
      const onProgress = progress(ctx, 'put', f.local, f.remote);
      const quick = (await smallPut(t, f, up)) ?? (await streamPut(t, f, up, onProgress, signal));
      if (quick) {
        out.push({ ...quick, remote: f.remote });
        continue;
      }
      const bytes = await t.put(f.local, up, { ...modeOf(f), onProgress, ...(signal ? { signal } : {}) });
      sizeCheck(ctx, f.remote, (await t.stat(up))?.size, bytes);
      out.push({ local: f.local, remote: f.remote, bytes });
    }
    await ctx.unscoped(() => ctx.sudo(sudoInstallScript(plan, tmp, names, owner)).quiet());
  } finally {
    // The install script removes it; this covers a failed upload. Files stay the login user's until installed.
    await removeRemoteTemp(ctx, t, tmp, signal);
  }
  return out;
}

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
