import { createHash } from 'node:crypto';
import { posix } from 'node:path';
import { raw, sh } from '../commands/quote.js';
import { FileEditError, UsageError } from '../errors.js';
import type { Host } from '../run/host.js';
import { absolutePath } from '../run/paths.js';
import { factCache } from '../run/facts.js';
import { commit, startCommit, type AfterResult, type Snapshot } from './edit-commit.js';
import type { Transformed } from './transforms.js';

export interface EditOptions {
  /** Read and write as root. 'auto': only when the login user cannot read the file or write its folder. */
  sudo?: boolean | 'auto';
  /** Keep the original as `<path><backup>` (only when something changes). */
  backup?: string | false;
  /** A check run on the new file before it replaces the original, e.g. 'nginx -t -q -c %s'. */
  validate?: string;
  /** How many lines the edit must match; another count fails before anything is written. */
  expect?: number;
  /** Create the file when it does not exist (append, uploadTemplate); otherwise a missing file is an error. */
  create?: boolean;
  /** Mode and owner of a created file. */
  mode?: number;
  owner?: string;
  /**
   * Shell text to run in the same script as the commit once the file is in place (a reload, a socket command),
   * given whether the edit runs as root and the absolute path; undefined: nothing (the caller runs it itself).
   */
  after?: (sudo: boolean, path: string) => { script: string; label: string } | undefined;
  /**
   * What the caller reads itself (e.g. in the same command as a status), for the first attempt; a rejection (the
   * caller's own checks refusing) ends the edit with nothing written.
   */
  first?: Snapshot | Promise<Snapshot>;
  /**
   * Start the commit script together with the read (it waits for the content on stdin): one round trip less
   * when the file changes, one command for nothing when it does not. For edits that nearly always change.
   */
  pipeline?: boolean;
}

export interface EditResult {
  host: string;
  path: string;
  changed: boolean;
  diff: string;
  matched: number;
  dryRun: boolean;
  backup?: string;
  /** When `after` ran (the file was replaced): its exit status and output. */
  after?: AfterResult;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** What a read found, as editFile's `first` takes it (undefined: no file). */
export const snapshotOf = (data: Buffer | undefined): Snapshot => ({
  data,
  hash: data === undefined ? 'absent' : sha256(data),
});
const ATTEMPTS = 3;

/**
 * Read a remote file, transform it in memory, and replace it atomically if it changed. Nothing is
 * written when nothing changes, under --dry-run, or when `expect` or `validate` fails.
 */
export async function editFile(
  ctx: Host,
  path: string,
  transform: (text: string) => Transformed | string,
  opts: EditOptions = {},
): Promise<EditResult> {
  const host = ctx.host.name;
  const abs = await absolutePath(ctx, path);
  if (opts.validate !== undefined && !opts.validate.includes('%s')) {
    throw new UsageError(
      `validate command "${opts.validate}" has no %s`,
      'write %s where the new file goes, e.g. nginx -t -q -c %s',
    );
  }
  const create = opts.create === true;
  // 'auto': the probe and the login user's read go out together; the read is used when no sudo is needed.
  const first = opts.sudo === 'auto' && !opts.first ? autoRead(ctx, abs, create) : undefined;
  const sudo = first ? (await first).sudo : opts.sudo === true;
  const after = opts.after?.(sudo, abs);
  const c = after ? { ...opts, after: after.script, afterLabel: after.label } : { ...opts, after: undefined };
  // Sent out with the read: the commit script waits for the content (or for nothing: it then changes nothing).
  let pending = opts.pipeline && !ctx.dryRun ? startCommit(ctx, abs, sudo, c) : undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const early = attempt === 1 ? await first : undefined;
      const given = attempt === 1 ? await opts.first : undefined;
      const snap = given ?? (early?.snap ? await early.snap : await readRemote(ctx, abs, sudo, create));
      if (given && given.data === undefined && !create)
        throw new FileEditError(host, abs, 'no such file; nothing created');
      const before = snap.data?.toString('utf8') ?? '';
      const t = transform(before);
      const res: Transformed = typeof t === 'string' ? { text: t, matched: t === before ? 0 : 1, lines: [] } : t;
      if (opts.expect !== undefined && res.matched !== opts.expect) {
        const listed = res.lines.map((l) => `\n    ${l.n}: ${l.text}`).join('');
        throw new FileEditError(
          host,
          abs,
          `expected the edit to match ${opts.expect} line(s), it matched ${res.matched}; nothing written${listed}`,
        );
      }
      const changed = snap.data === undefined || res.text !== before;
      if (!changed || ctx.dryRun) {
        const diff = changed ? await unifiedDiff(abs, before, res.text) : '';
        ctx.events.emit({ type: 'file.change', host, path: abs, changed, diff, dryRun: ctx.dryRun });
        return { host, path: abs, changed, diff, matched: res.matched, dryRun: ctx.dryRun };
      }
      const content = Buffer.from(res.text, 'utf8');
      const sent = pending?.send(content, snap);
      pending = undefined;
      sent?.catch(() => undefined); // awaited below, after the diff
      // The diff is for the report: made while the script on the host works, not before it has its content.
      const diff = await unifiedDiff(abs, before, res.text);
      const result: EditResult = { host, path: abs, changed, diff, matched: res.matched, dryRun: false };
      const { outcome, after: ran } = await (sent ?? commit(ctx, abs, content, snap, sudo, c));
      if (outcome === 'changed') {
        if (attempt < ATTEMPTS) continue;
        throw new FileEditError(
          host,
          abs,
          `the file kept changing while we edited it (${ATTEMPTS} attempts); nothing written, the other writer's change is kept`,
        );
      }
      ctx.events.emit({ type: 'file.change', host, path: abs, changed, diff, dryRun: false });
      return {
        ...result,
        ...(opts.backup && snap.data !== undefined ? { backup: `${abs}${opts.backup}` } : {}),
        ...(ran ? { after: ran } : {}),
      };
    }
  } finally {
    await pending?.abort();
  }
}

/**
 * Relative paths follow `cd`; `~/x` is the login user's home (asked once from the host), since
 * neither SFTP nor a quoted path expands it.
 */
export { absolutePath };

/** sudo 'auto': whether sudo is needed, and when not, the login user's read started alongside the probe. */
async function autoRead(
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

async function readRemote(ctx: Host, path: string, sudo: boolean, create: boolean): Promise<Snapshot> {
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

async function unifiedDiff(path: string, before: string, after: string): Promise<string> {
  const { createTwoFilesPatch } = await import('diff');
  return createTwoFilesPatch(`a${path}`, `b${path}`, before, after, '', '', { context: 3 })
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .map((l) => l.replace(/\t$/, ''))
    .join('\n');
}
