import { randomBytes } from 'node:crypto';
import { raw, sh, type ShellCommand } from '../commands/quote.js';
import { FileEditError } from '../errors.js';
import type { Host } from '../run/host.js';
import { COMMITTED, commitScript, EXIT, STARTED } from './commit-script.js';

/** What editFile read: the bytes (undefined: no file) and their sha256 (or 'absent'). */
export interface Snapshot {
  data: Buffer | undefined;
  hash: string;
}

/** The edit options the commit uses. */
export interface Commit {
  validate?: string;
  backup?: string | false;
  mode?: number;
  owner?: string;
  /** Shell text the same script runs once the file is in place (see CommitSpec.after). */
  after?: string;
  /** What `after` does, for the command's display. */
  afterLabel?: string;
}

/** What `after` did: its exit status and its own output (the commit's lines left out). */
export interface AfterResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Replace the file with `content` if it is still what was read ('changed' otherwise); errors name the file. */
export async function commit(
  ctx: Host,
  path: string,
  content: Buffer,
  snap: Snapshot,
  sudo: boolean,
  opts: Commit,
): Promise<{ outcome: 'done' | 'changed'; after?: AfterResult }> {
  const host = ctx.host.name;
  const r =
    (await viaStdin(ctx, path, content, snap, sudo, opts)) ?? (await viaUpload(ctx, path, content, snap, sudo, opts));
  // Once the file is in place, a failure is `after`'s: the caller names it (a reload is not a write error).
  const mark = r.stdout.indexOf(`${COMMITTED}\n`);
  if (opts.after !== undefined && mark >= 0) {
    const stdout = r.stdout.slice(mark + COMMITTED.length + 1);
    return { outcome: 'done', after: { code: r.code, stdout, stderr: r.stderr } };
  }
  if (r.ok) return { outcome: 'done' };
  const detail = r.stderr.trim();
  switch (r.code) {
    case EXIT.changed:
      return { outcome: 'changed' };
    case EXIT.invalid:
      throw new FileEditError(
        host,
        path,
        `validation failed (${opts.validate}); the original is kept:\n${detail.replace(/^/gm, '    ')}`,
      );
    case EXIT.owner:
      throw new FileEditError(
        host,
        path,
        `owned by another user: replacing it without sudo would change its owner; pass { sudo: true }`,
      );
    default:
      throw new FileEditError(
        host,
        path,
        `could not write it (exit ${r.code}); the original is kept${detail ? `:\n${detail.replace(/^/gm, '    ')}` : ''}`,
      );
  }
}

/** The commit script as a command; the display says what it does (errors carry its own messages). */
function commitCommand(path: string, snap: Snapshot, sudo: boolean, opts: Commit, upload?: string): ShellCommand {
  const script = commitScript({
    path,
    ...(upload ? { upload } : {}),
    expectHash: snap.hash,
    sudo,
    ...(opts.validate ? { validate: opts.validate } : {}),
    ...(opts.backup ? { backup: opts.backup } : {}),
    ...(opts.mode !== undefined ? { mode: opts.mode } : {}),
    ...(opts.owner ? { owner: opts.owner } : {}),
    ...(opts.after !== undefined ? { after: opts.after } : {}),
  });
  const what =
    `${opts.validate ? `, validate with ${opts.validate}` : ''}${opts.backup ? `, backup ${opts.backup}` : ''}` +
    `, rename${opts.after !== undefined ? `, then ${opts.afterLabel ?? 'run the follow-up'}` : ''}`;
  return raw(sh`sh -c ${script}`.text, `(replace ${path}: check it is unchanged, copy, keep owner and mode${what})`);
}

/**
 * The content on the script's stdin, no pty (it would mangle bytes): one round trip less than uploading first.
 * undefined when sudo refused to start the script without a terminal (sudoers `requiretty`): nothing was changed.
 */
async function viaStdin(ctx: Host, path: string, content: Buffer, snap: Snapshot, sudo: boolean, opts: Commit) {
  const cmd = commitCommand(path, snap, sudo, opts);
  const o = { stdin: content, pty: false };
  const r = await ctx.unscoped(() => (sudo ? ctx.sudo(cmd, o) : ctx.run(cmd, o)).quiet().nothrow());
  return sudo && !r.ok && !r.stdout.includes(STARTED) ? undefined : r;
}

/** Upload as the login user first, then the script (under --pty if so configured, e.g. for `requiretty`). */
async function viaUpload(ctx: Host, path: string, content: Buffer, snap: Snapshot, sudo: boolean, opts: Commit) {
  const upload = `/tmp/.fab-edit-${randomBytes(8).toString('hex')}`;
  await (await ctx.connection()).writeFile(upload, content, { mode: 0o600 });
  const cmd = commitCommand(path, snap, sudo, opts, upload);
  return ctx.unscoped(() => (sudo ? ctx.sudo(cmd) : ctx.run(cmd)).quiet().nothrow());
}
