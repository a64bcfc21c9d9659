/**
 * A download goes to a temp file beside its destination and is renamed into place only once whole, so a
 * failed, short or interrupted get never leaves a part where the file should be, nor a temp file beside it.
 */
import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** Temp files being written now: removed on process exit too (fab exits at once on a second Ctrl-C). */
const live = new Set<string>();
let hooked = false;

function removeLive(): void {
  for (const f of live) {
    try {
      unlinkSync(f);
    } catch {
      // Already renamed or never created.
    }
  }
}

/** The temp name used for `local`: hidden, beside it (same file system, so the rename is atomic). */
export const tempNameFor = (local: string): string =>
  join(dirname(local), `.${basename(local)}.fab-get-${randomBytes(4).toString('hex')}`);

/**
 * Write to a temp file beside `local` through `write`, and rename it into place once `write` resolves.
 * If `write` fails (or the process exits first) the temp file is removed and `local` is as it was.
 */
export async function intoLocalFile(local: string, write: (tmp: string) => Promise<number>): Promise<number> {
  const tmp = tempNameFor(local);
  if (!hooked) {
    hooked = true;
    process.on('exit', removeLive);
  }
  live.add(tmp);
  try {
    const bytes = await write(tmp);
    await rename(tmp, local);
    return bytes;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    live.delete(tmp);
  }
}
