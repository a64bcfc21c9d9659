/**
 * put beyond one plain file: folders, globs, modes, sudo or an owner (through a private temp folder), with
 * progress events and size checks. Shell text comes from commands/transfer.ts; one file goes through put-one.ts
 * where the transport can, else SFTP.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, join, relative, resolve as resolveLocal } from 'node:path';
import { sh } from '../commands/quote.js';
import { planPut, sudoInstallScript, type LocalFile, type LocalTree, type PutPlan } from '../commands/transfer.js';
import { UsageError } from '../errors.js';
import type { Transport } from '../transport/types.js';
import type { Host, PutOptions, PutResult } from './host.js';
import { modeOf, smallPut, streamPut } from './put-one.js';
import { makeRemoteTemp, removeRemoteTemp } from './remote-temp.js';
import { progress, sizeCheck } from './transfer-progress.js';

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
