import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { raw, sh, type ShellCommand } from '../commands/quote.js';
import { CommandError, FileEditError } from '../errors.js';
import type { Host } from '../run/host.js';
import { factCache } from '../run/facts.js';
import type { ScriptRead, Snapshot } from './edit-commit.js';

/**
 * How editFile reads the file it edits: over SFTP as the login user, `base64` under sudo, or inside the commit
 * script itself (a pipelined edit), and sudo 'auto''s probe. Each way says its failures the same way.
 */

/** A pipelined edit's prelude: shell text run first in the commit script, its output given to `check`. */
export interface Pipeline {
  prelude: ShellCommand;
  check: (stdout: string) => void;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What a read found, as editFile's `first` takes it (undefined: no file). */
export const snapshotOf = (data: Buffer | undefined): Snapshot => ({
  data,
  hash: data === undefined ? 'absent' : sha256(data),
});
/**
 * The first attempt's read: the login user's read already under way, or the commit script's own, or (when the
 * script could not start, or under --dry-run) a read of its own. A pipeline's check sees its prelude's output.
 */
export async function firstRead(
  ctx: Host,
  path: string,
  o: {
    sudo: boolean;
    create: boolean;
    early: Promise<Snapshot> | undefined;
    read: Promise<ScriptRead | undefined> | undefined;
    pipe: Pipeline | undefined;
  },
): Promise<Snapshot> {
  const got = o.early ? undefined : await o.read;
  if (!got) {
    const snap = await (o.early ?? readRemote(ctx, path, o.sudo, o.create));
    if (o.pipe) o.pipe.check(await preludeAlone(ctx, o.pipe.prelude, o.sudo));
    return snap;
  }
  if (got.kind === 'prelude-failed') {
    const shown = o.pipe?.prelude.display ?? 'prelude';
    throw new CommandError(ctx.host.name, shown, shown, got.code, got.stderr.trim());
  }
  const snap = snapshotFrom(ctx, path, o, got);
  o.pipe?.check(got.prelude);
  return snap;
}

/** The prelude as a command of its own (read-only: also under --dry-run). */
async function preludeAlone(ctx: Host, prelude: ShellCommand, sudo: boolean): Promise<string> {
  const r = await ctx.unscoped(() => (sudo ? ctx.sudo(prelude) : ctx.run(prelude)).quiet().nothrow().probe());
  if (!r.ok) throw new CommandError(ctx.host.name, prelude.display, prelude.display, r.code, r.stderr.trim());
  return r.stdout;
}

/** What the commit script's own read found, as readRemote would say it. */
function snapshotFrom(
  ctx: Host,
  path: string,
  o: { sudo: boolean; create: boolean },
  got: Extract<ScriptRead, { kind: 'read' }>,
): Snapshot {
  const host = ctx.host.name;
  const r = got.read;
  if (r.kind === 'notafile') throw new FileEditError(host, path, 'not a regular file');
  if (r.kind === 'error') {
    const why = got.stderr.trim() || `exit ${got.code}`;
    throw new FileEditError(
      host,
      path,
      o.sudo
        ? `cannot read it as root: ${why}`
        : `cannot read it as ${ctx.host.user ?? 'the login user'}: ${why}; pass { sudo: true } (or sudo: 'auto')`,
    );
  }
  if (r.kind === 'absent' && !o.create) throw new FileEditError(host, path, 'no such file; nothing created');
  return snapshotOf(r.kind === 'file' ? r.data : undefined);
}

/** sudo 'auto': whether sudo is needed, and when not, the login user's read started alongside the probe. */
export async function autoRead(
  ctx: Host,
  path: string,
  create: boolean,
): Promise<{ sudo: boolean; snap?: Promise<Snapshot> }> {
  // Once a file needed root in this run, it still does (root keeps its owner either way): no probe again.
  const facts = factCache(ctx);
  const key = `edit as root: ${path}`;
  if (facts.has(ctx.host.name, key)) return { sudo: true };
  const read = readRemote(ctx, path, false, create);
  read.catch(() => undefined); // its error counts only when the login user is the one to read
  if (!(await needsSudo(ctx, path))) return { sudo: false, snap: read };
  void facts.get(ctx.host.name, key, () => Promise.resolve(true));
  return { sudo: true };
}

async function needsSudo(ctx: Host, path: string): Promise<boolean> {
  // The login user can do it alone when it may read the file, owns it (so the rename keeps the owner), and may write the folder.
  const check = sh`{ [ ! -e ${path} ] || { [ -r ${path} ] && [ -O ${path} ]; }; } && [ -w ${posix.dirname(path)} ]`;
  const r = await ctx.unscoped(() =>
    ctx
      .run(raw(check.text, `(can the login user replace ${path}?)`))
      .quiet()
      .nothrow()
      .probe(),
  );
  return !r.ok;
}

export async function readRemote(ctx: Host, path: string, sudo: boolean, create: boolean): Promise<Snapshot> {
  const host = ctx.host.name;
  let data: Buffer | undefined;
  if (sudo) {
    const read = sh`if [ -f ${path} ]; then base64 -w0 -- ${path}; elif [ -e ${path} ]; then echo notafile; exit 3; else echo absent; fi`;
    const r = await ctx.unscoped(() =>
      ctx
        .sudo(raw(read.text, `(read ${path})`))
        .quiet()
        .nothrow()
        .probe(),
    );
    if (!r.ok)
      throw new FileEditError(
        host,
        path,
        r.stdout.startsWith('notafile')
          ? 'not a regular file'
          : `cannot read it as root: ${r.stderr.trim() || `exit ${r.code}`}`,
      );
    data = r.stdout.trim() === 'absent' ? undefined : Buffer.from(r.stdout.trim(), 'base64');
  } else {
    const t = await ctx.connection();
    // Both at once: one round trip on a slow link; the read's error counts only if the stat says there is a file.
    const [st, read] = await Promise.all([
      t.stat(path).catch((e: NodeJS.ErrnoException) => {
        throw new FileEditError(host, path, e.code === 'EACCES' ? 'permission denied; pass { sudo: true }' : e.message);
      }),
      t.readFile(path).then(
        (b) => ({ ok: true as const, data: b }),
        (e: NodeJS.ErrnoException) => ({ ok: false as const, e }),
      ),
    ]);
    if (st?.isDirectory) throw new FileEditError(host, path, 'is a directory, not a file');
    if (st) {
      if (!read.ok)
        throw new FileEditError(
          host,
          path,
          read.e.code === 'EACCES'
            ? `permission denied reading it as ${ctx.host.user ?? 'the login user'}; pass { sudo: true } (or sudo: 'auto')`
            : read.e.message,
        );
      data = read.data;
    }
  }
  if (data === undefined && !create) throw new FileEditError(host, path, 'no such file; nothing created');
  return snapshotOf(data);
}
