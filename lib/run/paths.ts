import { posix } from 'node:path';
import { raw } from '../commands/quote.js';
import type { Host } from './host.js';

/** A remote path made absolute: relative paths follow `cd`, `~` is the login user's home on the host. */
export async function absolutePath(ctx: Host, path: string): Promise<string> {
  const p = ctx.remotePath(path);
  if (p !== '~' && !p.startsWith('~/')) return p;
  const home = (await ctx.unscoped(() => ctx.run(raw('printf %s "$HOME"', '(home directory)')).quiet().probe())).stdout;
  return posix.join(home, p.slice(1));
}
