import { randomBytes } from 'node:crypto';
import { raw, sh, type ShellCommand } from '../commands/quote.js';
import { FileEditError } from '../errors.js';
import type { Host } from '../run/host.js';
import { parseReadForEdit, readForEdit, type ReadForEdit } from '../commands/file-read.js';
import { COMMITTED, commitScript, EXIT, READ_DONE, READ_START, STARTED } from './commit-script.js';

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

export interface Committed {
  outcome: 'done' | 'changed';
  after?: AfterResult;
}

/** Replace the file with `content` if it is still what was read ('changed' otherwise); errors name the file. */
export async function commit(
  ctx: Host,
  path: string,
  content: Buffer,
  snap: Snapshot,
  sudo: boolean,
  opts: Commit,
): Promise<Committed> {
  const r =
    (await viaStdin(ctx, path, content, snap, sudo, opts)) ?? (await viaUpload(ctx, path, content, snap, sudo, opts));
  return outcomeOf(ctx, path, opts, r);
}

/** A commit started before its content is known: its script waits for it on stdin. */
export interface PendingCommit {
  /**
   * With `startCommit`'s `read`: what the script read before waiting (undefined: it never started, e.g. sudo
   * refused to run without a terminal; read the file another way, `send` then uploads).
   */
  read?: Promise<ScriptRead | undefined>;
  /** The content and what it was made from: the commit goes ahead (on `commit`'s terms). */
  send(content: Buffer, snap: Snapshot): Promise<Committed>;
  /** Nothing to write: the script ends without touching anything. */
  abort(): Promise<void>;
}

/** What a commit script that reads first printed: its prelude's output, then the read (or how either failed). */
export type ScriptRead =
  | { kind: 'read'; prelude: string; read: ReadForEdit; code: number | null; stderr: string }
  | { kind: 'prelude-failed'; code: number | null; stderr: string };

/**
 * Start the commit script now, alongside the read it depends on: it costs no round trip of its own before the
 * content goes (sshd opens a command's stdin only once the command runs, one round trip after asking). With
 * `read`, the script reads the file itself first (after `read.prelude`, shell text whose output is the caller's):
 * one command, one sudo, for the read and the write.
 */
export function startCommit(
  ctx: Host,
  path: string,
  sudo: boolean,
  opts: Commit,
  read?: { prelude?: string },
): PendingCommit {
  let feed!: (input: Buffer | undefined) => void;
  const stdin = new Promise<Buffer | undefined>((resolve) => (feed = resolve));
  const readText = read ? readFirst(path, read.prelude) : undefined;
  const cmd = commitCommand(path, undefined, sudo, opts, undefined, readText);
  const seen = read ? watchRead() : undefined;
  const o = { stdin, pty: false, ...(seen ? { onStdout: seen.push } : {}) };
  const ran = ctx.unscoped(() => Promise.resolve((sudo ? ctx.sudo(cmd, o) : ctx.run(cmd, o)).quiet().nothrow()));
  ran.catch(() => undefined); // seen by send(); after abort() nothing waits for it
  // The script ended before its read was seen whole: say how far it got.
  if (seen)
    void ran.then(
      (r) => seen.ended(r),
      () => seen.ended(undefined),
    );
  return {
    ...(seen ? { read: seen.read } : {}),
    async send(content, snap) {
      feed(Buffer.concat([Buffer.from(`${snap.hash}\n`), content]));
      const r = await ran;
      // sudo refused to start without a terminal: nothing changed; upload, then the script with the hash given.
      if (sudo && !r.ok && !r.stdout.includes(STARTED))
        return outcomeOf(ctx, path, opts, await viaUpload(ctx, path, content, snap, sudo, opts));
      return outcomeOf(ctx, path, opts, r);
    },
    async abort() {
      feed(undefined);
      await ran.catch(() => undefined);
    },
  };
}

/** The read a script does first: the caller's prelude, then the file between READ_START and READ_DONE. */
const readFirst = (path: string, prelude?: string): string =>
  [
    ...(prelude ? [prelude] : []),
    `echo ${READ_START}`,
    `${readForEdit(path).text} || exit $?`,
    `echo; echo ${READ_DONE}`,
  ].join('\n');

/** Watches a reading script's stdout for its read, which settles `read` as soon as READ_DONE arrives. */
function watchRead() {
  let out = ''; // latin1: byte for byte, whatever the chunks split
  let settle!: (r: ScriptRead | undefined) => void;
  const read = new Promise<ScriptRead | undefined>((resolve) => (settle = resolve));
  const parse = (code: number | null, stderr: string): ScriptRead | undefined => {
    const start = out.indexOf(`${STARTED}\n`);
    if (start < 0) return undefined;
    const from = out.indexOf(`${READ_START}\n`, start);
    if (from < 0) return { kind: 'prelude-failed', code, stderr };
    const done = out.indexOf(`\n${READ_DONE}\n`, from);
    const text = out.slice(from + READ_START.length + 1, done < 0 ? undefined : done);
    const prelude = Buffer.from(out.slice(start + STARTED.length + 1, from), 'latin1').toString('utf8');
    return { kind: 'read', prelude, read: parseReadForEdit(text, done < 0 ? code : 0), code, stderr };
  };
  return {
    read,
    push: (chunk: Buffer) => {
      if (out.includes(`\n${READ_DONE}\n`)) return; // read already seen: what follows is the commit's
      out += chunk.toString('latin1');
      if (out.includes(`\n${READ_DONE}\n`)) settle(parse(0, ''));
    },
    ended: (r: { code: number | null; stderr: string } | undefined) => settle(r ? parse(r.code, r.stderr) : undefined),
  };
}

function outcomeOf(
  ctx: Host,
  path: string,
  opts: Commit,
  r: { ok: boolean; code: number | null; stdout: string; stderr: string },
): Committed {
  const host = ctx.host.name;
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
function commitCommand(
  path: string,
  snap: Snapshot | undefined,
  sudo: boolean,
  opts: Commit,
  upload?: string,
  read?: string,
): ShellCommand {
  const script = commitScript({
    path,
    ...(read ? { read } : {}),
    ...(upload ? { upload } : {}),
    expectHash: snap?.hash,
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
  const how = `replace ${path}: ${read ? 'read it, then ' : ''}check it is unchanged`;
  return raw(sh`sh -c ${script}`.text, `(${how}, copy, keep owner and mode${what})`);
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
