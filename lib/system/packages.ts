import { sh } from '../commands/quote.js';
import { UsageError } from '../errors.js';
import type { Host } from '../run/host.js';

const NAME = /^[a-z0-9][a-z0-9+.-]+$/;

/** Pure: which of `wanted` dpkg-query's `${Package} ${Status}` lines do not show as installed. */
export function missingPackages(wanted: readonly string[], dpkgOut: string): string[] {
  const ok = new Set(
    dpkgOut
      .split('\n')
      .filter((l) => / install ok installed$/.test(l))
      .map((l) => l.split(' ')[0]),
  );
  return wanted.filter((p) => !ok.has(p));
}

/**
 * Ensure Debian packages are installed: `apt-get install -y` only those missing (none: no apt at all).
 * Under --dry-run the install command is shown, not run. Returns what was (or would be) installed.
 */
export async function ensurePackages(ctx: Host, packages: readonly string[]): Promise<string[]> {
  for (const p of packages)
    if (!NAME.test(p))
      throw new UsageError(
        `package name ${JSON.stringify(p)} is not a Debian package name`,
        'use lower-case names like mariadb-server',
      );
  if (!packages.length) return [];
  const q = await ctx.unscoped(() =>
    ctx
      .run(sh`dpkg-query -W -f=${'${Package} ${Status}\\n'} ${[...packages]}`)
      .quiet()
      .nothrow()
      .probe(),
  );
  const missing = missingPackages(packages, q.stdout);
  if (!missing.length) return [];
  ctx.log(`${ctx.dryRun ? 'would install' : 'installing'}: ${missing.join(' ')}`);
  await ctx.unscoped(() => ctx.sudo(sh`env DEBIAN_FRONTEND=noninteractive apt-get install -y -q ${missing}`));
  return missing;
}
