/**
 * One file put through one command instead of SFTP, where the transport can: a small file as the command's
 * stdin (putSmall), a larger one streamed into a temp file and renamed (putStream). Each resolves with
 * undefined when it does not apply, and the caller uses SFTP.
 */
import { readFile } from 'node:fs/promises';
import type { PlannedFile } from '../commands/transfer.js';
import { SMALL_PUT_MAX } from '../commands/small-file.js';
import type { Progress, Transport } from '../transport/types.js';
import type { PutResult } from './host.js';

type Done = PutResult['files'][number];

export const modeOf = (f: PlannedFile): { mode?: number } => (f.mode === undefined ? {} : { mode: f.mode });

/**
 * A small file over SSH goes as one exec (content on stdin; directory check, size check and chmod on the host): two
 * round trips (sshd opens the session's window once the command runs) where SFTP's open, write, close and the stats
 * cost five. undefined: not small, or not supported.
 */
export async function smallPut(
  t: Transport,
  f: PlannedFile,
  remote: string,
  intoDir?: string,
): Promise<Done | undefined> {
  if (!t.putSmall || f.size > SMALL_PUT_MAX) return undefined;
  const data = await readFile(f.local);
  if (data.length > SMALL_PUT_MAX) return undefined;
  const opts = { ...modeOf(f), ...(intoDir === undefined ? {} : { intoDir }) };
  const dest = await t.putSmall(data, remote, opts);
  return { local: f.local, remote: dest, bytes: data.length };
}

/**
 * A larger file streamed as channel data into a temp file beside the target, size-checked on the host and
 * renamed into place (the transport's putStream: `cat`, no SFTP request per chunk, no stat before or after).
 * undefined: not supported, or not possible here (e.g. the target's folder is missing): SFTP says why.
 */
export async function streamPut(
  t: Transport,
  f: PlannedFile,
  remote: string,
  onProgress: Progress,
  signal: AbortSignal | undefined,
  intoDir?: string,
): Promise<Done | undefined> {
  if (!t.putStream) return undefined;
  const opts = {
    ...modeOf(f),
    onProgress,
    ...(signal ? { signal } : {}),
    ...(intoDir === undefined ? {} : { intoDir }),
  };
  const r = await t.putStream(f.local, remote, opts);
  return r && { local: f.local, remote: r.remote, bytes: r.bytes };
}
