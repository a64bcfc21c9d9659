/**
 * How far a transfer got: throttled `transfer.progress` events while it runs (--json consumers, the terminal),
 * and the size check at its end. Shared by put-files.ts and get-file.ts.
 */
import { FabError } from '../errors.js';
import type { Progress } from '../transport/types.js';
import type { Host } from './host.js';

/** At most one progress event per transfer this often. */
export const PROGRESS_EVERY_MS = 500;

/** Throttled `transfer.progress` events for one file. */
export function progress(ctx: Host, direction: 'put' | 'get', local: string, remote: string): Progress {
  const started = Date.now();
  let last = started;
  return (bytes, total) => {
    const now = Date.now();
    if (now - last < PROGRESS_EVERY_MS) return;
    last = now;
    const host = ctx.host.name;
    ctx.events.emit({ type: 'transfer.progress', host, direction, local, remote, bytes, total, ms: now - started });
  };
}

export function sizeCheck(ctx: Host, what: string, got: number | undefined, want: number): void {
  if (got === want) return;
  throw new FabError(
    `[${ctx.host.name}] ${what} arrived with ${got ?? 'no'} bytes, ${want} expected; the copy is incomplete`,
  );
}
