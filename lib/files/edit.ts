import { FileEditError, UsageError } from '../errors.js';
import type { Host } from '../run/host.js';
import { absolutePath } from '../run/paths.js';
import { commit, startCommit, type AfterResult } from './edit-commit.js';
import { autoRead, firstRead, readRemote, snapshotOf, type Pipeline } from './edit-read.js';
import type { Transformed } from './transforms.js';

export type { Pipeline };

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
   * Start the commit script together with the read (it waits for the content on stdin): one round trip less
   * when the file changes, one command for nothing when it does not. For edits that nearly always change. The
   * script reads the file itself first (one command, one sudo); an object adds `prelude`, shell text the same
   * script runs before the read, whose output goes to `check`: a throw there refuses the change (the script is
   * sent nothing and changes nothing).
   */
  pipeline?: boolean | Pipeline;
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
  const auto = opts.sudo === 'auto' ? await autoRead(ctx, abs, create) : undefined;
  const sudo = auto ? auto.sudo : opts.sudo === true;
  const after = opts.after?.(sudo, abs);
  const c = after ? { ...opts, after: after.script, afterLabel: after.label } : { ...opts, after: undefined };
  const pipe = typeof opts.pipeline === 'object' ? opts.pipeline : undefined;
  // Sent out now: the commit script reads the file (unless the login user's read is already under way), then
  // waits for the content (or for nothing: it then changes nothing).
  const readIn = auto?.snap ? undefined : pipe ? { prelude: pipe.prelude.text } : {};
  let pending = opts.pipeline && !ctx.dryRun ? startCommit(ctx, abs, sudo, c, readIn) : undefined;
  try {
    for (let attempt = 1; ; attempt++) {
      const snap =
        attempt === 1
          ? await firstRead(ctx, abs, { sudo, create, early: auto?.snap, read: pending?.read, pipe })
          : await readRemote(ctx, abs, sudo, create);
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
export { absolutePath, snapshotOf };

async function unifiedDiff(path: string, before: string, after: string): Promise<string> {
  const { createTwoFilesPatch } = await import('diff');
  return createTwoFilesPatch(`a${path}`, `b${path}`, before, after, '', '', { context: 3 })
    .split('\n')
    .filter((l) => !l.startsWith('====='))
    .map((l) => l.replace(/\t$/, ''))
    .join('\n');
}
