import { stat as localStat } from 'node:fs/promises';
import type { SFTPWrapper, Stats } from 'ssh2';
import { InterruptedError, TransferError } from '../errors.js';
import type { FileStat, GetFileOptions, PutFileOptions } from './types.js';

/**
 * What still goes over SFTP on the ssh2 transport: a put or get where `cat` cannot go (folders, missing or
 * unwritable paths, a host that refuses exec) and `stat`. Errors name the path, with errno-style codes.
 */

const NO_SUCH_FILE = 2;

/**
 * Requests in flight for fastPut/fastGet: 16 x 254 KiB keeps at most 4 MiB buffered whatever the file's size.
 * 254 KiB is the most OpenSSH's sftp-server takes in one read or write (256 KiB packets; ssh2 splits requests
 * for other servers); fewer, larger requests cost less JavaScript per byte than ssh2's 64 x 32 KiB default.
 */
const WINDOW = { concurrency: 16, chunkSize: 256 * 1024 - 2048 } as const;

/** After Ctrl-C, how long a copy has to settle (close its local file) once its SFTP session is ended. */
const STOP_WAIT_MS = 3000;

const stepOf = (p: (done: number, total: number) => void) => (done: number, _chunk: number, total: number) =>
  p(done, total);

export async function sftpPut(
  sftp: SFTPWrapper,
  localPath: string,
  remotePath: string,
  opts: PutFileOptions = {},
): Promise<number> {
  const o = {
    ...WINDOW,
    ...(opts.mode === undefined ? {} : { mode: opts.mode }),
    ...(opts.onProgress ? { step: stepOf(opts.onProgress) } : {}),
  };
  await stoppable(sftp, remotePath, opts.signal, (done) => sftp.fastPut(localPath, remotePath, o, done));
  if (opts.signal?.aborted) throw new InterruptedError();
  if (opts.mode !== undefined)
    await new Promise<void>((res, rej) => sftp.chmod(remotePath, opts.mode!, (e) => (e ? rej(e) : res())));
  return (await localStat(localPath)).size;
}

/** The stat goes out with the copy's open (no round trip of its own) and checks the size as cat's header does. */
export async function sftpGet(
  sftp: SFTPWrapper,
  remotePath: string,
  localPath: string,
  opts: GetFileOptions = {},
): Promise<number> {
  const o = { ...WINDOW, ...(opts.onProgress ? { step: stepOf(opts.onProgress) } : {}) };
  const [size] = await Promise.all([
    sftpStat(sftp, remotePath).then(
      (s) => s?.size,
      () => undefined, // the copy's own error says why
    ),
    stoppable(sftp, remotePath, opts.signal, (done) => sftp.fastGet(remotePath, localPath, o, done)),
  ]);
  const bytes = (await localStat(localPath)).size;
  if (size !== undefined && bytes !== size) {
    const detail = `the file changed size during the download (${size} bytes at the start, ${bytes} read)`;
    throw new TransferError(remotePath, detail);
  }
  return bytes;
}

/**
 * One fastPut/fastGet that Ctrl-C stops: ssh2 takes no signal for them, so `signal` ends the SFTP session (the
 * copy's pending requests fail) and the copy rejects with InterruptedError once its callback has come (it has
 * then closed its local file, which the caller may remove), or after STOP_WAIT_MS. The next transfer opens a new
 * session (SshTransport drops a closed one).
 */
function stoppable(
  sftp: SFTPWrapper,
  remotePath: string,
  signal: AbortSignal | undefined,
  copy: (done: (e?: Error | null) => void) => void,
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new InterruptedError());
    let stopped = false;
    const onAbort = (): void => {
      stopped = true;
      sftp.end();
      setTimeout(() => reject(new InterruptedError()), STOP_WAIT_MS).unref();
    };
    signal?.addEventListener('abort', onAbort, { once: true });
    copy((e) => {
      signal?.removeEventListener('abort', onAbort);
      if (stopped) reject(new InterruptedError());
      else if (e) reject(sftpError(e, remotePath));
      else resolve();
    });
  });
}

/** undefined when there is no such file. */
export function sftpStat(sftp: SFTPWrapper, remotePath: string): Promise<FileStat | undefined> {
  return new Promise((res, rej) =>
    sftp.stat(remotePath, (e: (Error & { code?: number }) | undefined, s: Stats) => {
      if (e) return e.code === NO_SUCH_FILE ? res(undefined) : rej(sftpError(e, remotePath));
      res({ mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size, isDirectory: s.isDirectory() });
    }),
  );
}

/** SFTP errors carry numeric codes; give them the errno names the rest of fab checks. */
function sftpError(e: Error & { code?: number | string }, path: string): Error {
  const map: Record<number, string> = { 2: 'ENOENT', 3: 'EACCES', 4: 'EIO' };
  const code = typeof e.code === 'number' ? (map[e.code] ?? String(e.code)) : e.code;
  return Object.assign(new Error(`${path}: ${e.message}`), { code });
}
