/**
 * put() of one local file over an exec channel running `cat > tmp` (catForPut), the twin of ssh-get.ts: the
 * bytes go as channel data, with no SFTP request, reply and thread-pool read per 254 KiB. The file is read
 * synchronously in CHUNK pieces (a page-cache read of 1 MiB costs less than a hop through libuv's thread
 * pool) and written to the channel until it reports backpressure (ssh2 buffers 2 MiB, then waits for the
 * server's window), so memory stays at a few MiB whatever the file's size.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import type { Client, ClientChannel } from 'ssh2';
import { CAT_PUT_MARK, CAT_PUT_SHORT, catForPut } from '../commands/transfer.js';
import { InterruptedError, TransferError } from '../errors.js';
import { sendSignal } from './ssh-session.js';
import type { Progress } from './types.js';

/** Bytes read from the local file at a time. */
export const PUT_CHUNK = 1024 * 1024;
/** After Ctrl-C, how long the remote side has to remove its temp file before the channel is closed anyway. */
const STOP_GRACE_MS = 3000;
/** A longer first line is not ours. */
const MAX_MARK = 64;

export interface CatPutOptions {
  mode?: number;
  /** When `remote` is a folder on the host, the file goes inside it under this name. */
  intoDir?: string;
  onProgress?: Progress;
  signal?: AbortSignal;
}

/**
 * Copy the local file `local` to `remote` with `cat`. Resolves with the path written and the bytes sent, or
 * with undefined when the exec path does not apply (exec refused, the target's folder missing or not writable,
 * a shell that did not run the command): nothing was written, and the caller uses SFTP. `signal` (Ctrl-C)
 * stops the copy with an InterruptedError once the host has removed its temp file; the target is as it was.
 */
export async function catPut(
  client: Client,
  local: string,
  remote: string,
  opts: CatPutOptions = {},
): Promise<{ remote: string; bytes: number } | undefined> {
  if (opts.signal?.aborted) throw new InterruptedError();
  const fd = openSync(local, 'r');
  try {
    const size = fstatSync(fd).size;
    const channel = await new Promise<ClientChannel | undefined>((res) =>
      client.exec(catForPut(remote, size, opts.mode, opts.intoDir).text, (err, ch) => res(err ? undefined : ch)),
    );
    if (!channel) return undefined;
    return await new Promise((resolve, reject) => new CatWriter(channel, fd, size, remote, opts, resolve, reject));
  } finally {
    closeSync(fd);
  }
}

class CatWriter {
  private out = Buffer.alloc(0);
  private started = false;
  private sent = 0;
  private eof = false;
  private code: number | null = null;
  private stderr = '';
  private stop?: Error;
  private done = false;
  /** Read buffers ssh2 is done with: a handful in use whatever the file's size, and no garbage per MiB. */
  private readonly free: Buffer[] = [];

  constructor(
    private readonly channel: ClientChannel,
    private readonly fd: number,
    private readonly size: number,
    private readonly remote: string,
    private readonly opts: CatPutOptions,
    private readonly resolve: (r: { remote: string; bytes: number } | undefined) => void,
    private readonly reject: (e: Error) => void,
  ) {
    opts.signal?.addEventListener('abort', this.onAbort, { once: true });
    channel.on('data', (d: Buffer) => this.onData(d));
    channel.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += d.toString();
    });
    channel.on('exit', (code: number | null) => (this.code = code ?? null));
    channel.on('drain', () => this.pump());
    // 'close' comes after the last 'data'.
    channel.on('close', () => this.finish());
    if (opts.signal?.aborted) this.onAbort();
  }

  private readonly onAbort = (): void => this.halt(new InterruptedError());

  /** Stop sending and let the host clean up: TERM for cat (sshd signals its process group), EOF in any case. */
  private halt(e: Error): void {
    if (this.stop || this.done) return;
    this.stop = e;
    sendSignal(this.channel, 'TERM');
    this.channel.end();
    setTimeout(() => this.channel.close(), STOP_GRACE_MS).unref();
  }

  private onData(d: Buffer): void {
    this.out = Buffer.concat([this.out, d]);
    if (this.started) return;
    const nl = this.out.indexOf(10);
    if (nl < 0) {
      if (this.out.length > MAX_MARK) this.giveUp();
      return;
    }
    const mark = this.out.subarray(0, nl).toString();
    this.out = this.out.subarray(nl + 1);
    if (mark !== `${CAT_PUT_MARK} ok`) return this.giveUp();
    this.started = true;
    this.pump();
  }

  /** Not a case for cat (nothing was sent): stop the command and let the caller use SFTP. */
  private giveUp(): void {
    if (this.done) return;
    this.end();
    this.channel.close();
    this.resolve(undefined);
  }

  private end(): void {
    this.done = true;
    this.opts.signal?.removeEventListener('abort', this.onAbort);
  }

  /** Read and send until ssh2 holds enough (write() returns false; 'drain' calls this again) or the file ends. */
  private pump(): void {
    if (!this.started || this.eof || this.stop || this.done) return;
    for (;;) {
      const buf = this.free.pop() ?? Buffer.allocUnsafe(PUT_CHUNK);
      let n: number;
      try {
        n = readSync(this.fd, buf, 0, PUT_CHUNK, null);
      } catch (e) {
        return this.halt(e as Error);
      }
      if (n === 0) {
        this.eof = true;
        if (this.sent !== this.size) {
          const sizes = `${this.size} bytes at the start, ${this.sent} read`;
          return this.halt(new TransferError(this.remote, `the local file changed size during the upload (${sizes})`));
        }
        return void this.channel.end();
      }
      this.sent += n;
      // ssh2 has copied the bytes into its packets once the write's callback runs: the buffer is free again.
      const more = this.channel.write(n < PUT_CHUNK ? buf.subarray(0, n) : buf, () => this.free.push(buf));
      this.opts.onProgress?.(this.sent, this.size);
      if (!more) return;
    }
  }

  /** The channel closed: did the host check the size and rename the file into place? */
  private finish(): void {
    if (this.done) return;
    if (!this.started) return this.giveUp();
    this.end();
    if (this.stop) return this.reject(this.stop);
    if (this.code === 0 && this.eof) return this.resolve({ remote: this.out.toString(), bytes: this.sent });
    const err = this.stderr.trim();
    const problem =
      this.code === CAT_PUT_SHORT
        ? err
        : `cat ${this.code === null ? 'did not exit' : `exited ${this.code}`}${err ? `: ${err}` : ''}`;
    this.reject(new TransferError(this.remote, problem));
  }
}
