import { readFile } from 'node:fs/promises';
import { sh } from '../commands/quote.js';
import { FileEditError } from '../errors.js';
import type { Host } from '../run/host.js';
import { absolutePath, editFile, type EditOptions, type EditResult } from './edit.js';
import {
  appendText,
  commentText,
  containsText,
  renderTemplate,
  sedText,
  uncommentText,
  type ContainsOptions,
  type Pattern,
  type SedOptions,
} from './transforms.js';

/**
 * Fabric's contrib.files, with its names and options and fixed semantics: literal or RegExp patterns,
 * idempotent edits, atomic writes that keep owner and mode, a diff and a `changed` flag for every edit.
 */

export type Replacement = string | ((match: string, ...groups: string[]) => string);

export function sed(
  ctx: Host,
  path: string,
  before: Pattern,
  after: Replacement,
  opts: SedOptions & EditOptions = {},
): Promise<EditResult> {
  return editFile(ctx, path, (t) => sedText(t, before, after, opts), { backup: '.bak', ...opts });
}

export function comment(
  ctx: Host,
  path: string,
  pattern: Pattern,
  opts: { char?: string } & EditOptions = {},
): Promise<EditResult> {
  return editFile(ctx, path, (t) => commentText(t, pattern, opts.char), { backup: '.bak', ...opts });
}

export function uncomment(
  ctx: Host,
  path: string,
  pattern: Pattern,
  opts: { char?: string } & EditOptions = {},
): Promise<EditResult> {
  return editFile(ctx, path, (t) => uncommentText(t, pattern, opts.char), { backup: '.bak', ...opts });
}

/** Adds the lines that are missing (creating the file unless `create: false`). */
export function append(
  ctx: Host,
  path: string,
  text: string | readonly string[],
  opts: { partial?: boolean } & EditOptions = {},
): Promise<EditResult> {
  return editFile(ctx, path, (t) => appendText(t, text, opts.partial), { create: true, ...opts });
}

/**
 * The file's text, or undefined when it does not exist (read-only: runs under --dry-run too).
 * 'auto' reads as the login user and falls back to sudo when that is refused.
 */
export async function readText(ctx: Host, path: string, sudo: boolean | 'auto'): Promise<string | undefined> {
  const abs = await absolutePath(ctx, path);
  if (sudo === 'auto') {
    try {
      return await readText(ctx, path, false);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EACCES') throw err;
      return readText(ctx, path, true);
    }
  }
  if (sudo) {
    const r = await ctx.unscoped(() =>
      ctx
        .sudo(sh`[ -f ${abs} ] || exit 3; base64 -w0 -- ${abs}`)
        .quiet()
        .nothrow()
        .probe(),
    );
    if (r.code === 3) return undefined;
    if (!r.ok) throw new FileEditError(ctx.host.name, abs, `cannot read it as root: ${r.stderr.trim()}`);
    return Buffer.from(r.stdout.trim(), 'base64').toString('utf8');
  }
  const t = await ctx.connection();
  if (!(await t.stat(abs))) return undefined;
  return (await t.readFile(abs)).toString('utf8');
}

/** Does the file contain the text (or a line matching the RegExp)? A missing file contains nothing. */
export async function contains(
  ctx: Host,
  path: string,
  text: Pattern,
  opts: ContainsOptions & { sudo?: boolean } = {},
): Promise<boolean> {
  const body = await readText(ctx, path, opts.sudo === true);
  return body !== undefined && containsText(body, text, opts);
}

export async function exists(ctx: Host, path: string, opts: { sudo?: boolean } = {}): Promise<boolean> {
  const abs = await absolutePath(ctx, path);
  if (opts.sudo)
    return (
      await ctx.unscoped(() =>
        ctx
          .sudo(sh`test -e ${abs}`)
          .quiet()
          .nothrow()
          .probe(),
      )
    ).ok;
  const t = await ctx.connection();
  return (await t.stat(abs)) !== undefined;
}

/** Render a local `{{ name }}` template and install it on the host (atomically, validated, diffed). */
export async function uploadTemplate(
  ctx: Host,
  localPath: string,
  remotePath: string,
  context: Record<string, string | number | boolean>,
  opts: EditOptions = {},
): Promise<EditResult> {
  const rendered = renderTemplate(await readFile(localPath, 'utf8'), context, localPath);
  return editFile(ctx, remotePath, () => rendered, { create: true, ...opts });
}
