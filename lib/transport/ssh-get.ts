/**
 * get() of a plain file over an exec channel running `cat`: the bytes come as channel data, with no
 * SFTP request/response per chunk, and with flow control of our own: ssh2 keeps a 2 MiB window and
 * tops it up only as the bytes are handed on, so sshd stalls whenever this process is not scheduled
 * for a moment. Here the window is `GET_WINDOW`, granted again as soon as the bytes are written,
 * and writes are batched (writev of whatever arrived meanwhile). Memory stays bounded by
 * the window plus what is being written.
 */
import { open, rename, rm, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { randomBytes } from 'node:crypto';
import type { Client, ClientChannel } from 'ssh2';
import { CAT_GET_MARK, catForGet } from '../commands/transfer.js';
import { TransferError } from '../errors.js';
import type { Progress } from './types.js';

/** Bytes sshd may send ahead of what is written to disk. */
export const GET_WINDOW = 8 * 1024 * 1024;
/** A longer first line is not ours. */
const MAX_HEADER = 64;

/**
 * Write to a temp file beside `local` and rename it into place once the copy is whole: a failed or
 * short download never leaves a part where the file should be.
 */
export async function intoLocalFile(local: string, write: (tmp: string) => Promise<number>): Promise<number> {
  const tmp = join(dirname(local), `.${basename(local)}.fab-get-${randomBytes(4).toString('hex')}`);
  try {
    const bytes = await write(tmp);
    await rename(tmp, local);
    return bytes;
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
}

/** ssh2's channel state and protocol object: not in its typings, needed to grant a larger window. */
interface ChannelInternals {
  incoming: { window: number };
  outgoing: { id: number; state: string };
  _client: { _protocol: { channelWindowAdjust(id: number, amount: number): void } };
}

/**
 * Copy `remote` into the local file `local` with `cat`. Resolves with the bytes written, or with
 * undefined when the exec path does not apply (exec refused, not a regular readable file, a login
 * shell that did not run the command): the caller then uses SFTP.
 */
export async function catGet(
  client: Client,
  remote: string,
  local: string,
  onProgress?: Progress,
): Promise<number | undefined> {
  const channel = await new Promise<ClientChannel | undefined>((res) =>
    client.exec(catForGet(remote).text, (err, ch) => res(err ? undefined : ch)),
  );
  if (!channel) return undefined;
  return new Promise((resolve, reject) => new CatReader(channel, remote, local, onProgress, resolve, reject));
}

class CatReader {
  private readonly ch: ChannelInternals;
  private header: Buffer | undefined = Buffer.alloc(0);
  private size = -1;
  private fh: Promise<FileHandle> | undefined;
  private queued: Buffer[] = [];
  private queuedBytes = 0;
  private inflight = 0;
  private writing = false;
  private written = 0;
  private code: number | null = null;
  private stderr = '';
  private closed = false;
  private failed = false;

  constructor(
    private readonly channel: ClientChannel,
    private readonly remote: string,
    private readonly local: string,
    private readonly onProgress: Progress | undefined,
    private readonly resolve: (bytes: number | undefined) => void,
    private readonly reject: (e: Error) => void,
  ) {
    this.ch = channel as unknown as ChannelInternals;
    channel.on('data', (d: Buffer) => this.onData(d));
    channel.stderr.on('data', (d: Buffer) => {
      if (this.stderr.length < 4096) this.stderr += d.toString();
    });
    channel.on('exit', (code: number | null) => (this.code = code ?? null));
    channel.on('close', () => {
      this.closed = true;
      this.flush();
    });
    channel.end();
  }

  private onData(d: Buffer): void {
    if (this.failed) return;
    if (this.header) return this.onHeader(d);
    this.queued.push(d);
    this.queuedBytes += d.length;
    // Past half the window unwritten, let ssh2 buffer (and stop granting) until the disk catches up.
    if (this.queuedBytes + this.inflight >= GET_WINDOW / 2) this.channel.pause();
    this.flush();
  }

  private onHeader(d: Buffer): void {
    const all = Buffer.concat([this.header!, d]);
    const nl = all.indexOf(10);
    if (nl < 0 && all.length <= MAX_HEADER) return void (this.header = all);
    this.header = undefined;
    const m = nl < 0 ? null : new RegExp(`^${CAT_GET_MARK}\\s+(\\d+)$`).exec(all.subarray(0, nl).toString());
    if (!m) return this.giveUp();
    this.size = Number(m[1]);
    this.fh = open(this.local, 'w');
    this.fh.catch((e: Error) => this.fail(e));
    this.grant();
    if (all.length > nl + 1) this.onData(all.subarray(nl + 1));
  }

  /** Not a case for cat: no file was opened; stop the command and let the caller use SFTP. */
  private giveUp(): void {
    this.failed = true;
    this.channel.close();
    this.resolve(undefined);
  }

  /** Keep window + unwritten bytes at GET_WINDOW, in steps of a quarter (fewer adjust packets). */
  private grant(): void {
    const { incoming, outgoing, _client } = this.ch;
    if (this.closed || outgoing.state !== 'open') return;
    const amount = GET_WINDOW - incoming.window - this.queuedBytes - this.inflight;
    if (amount < GET_WINDOW / 4) return;
    incoming.window += amount;
    _client._protocol.channelWindowAdjust(outgoing.id, amount);
  }

  private flush(): void {
    if (this.writing || this.failed || !this.fh) {
      if (this.closed && !this.fh && !this.failed) this.finish();
      return;
    }
    if (!this.queued.length) {
      if (this.closed) this.finish();
      return;
    }
    const bufs = this.queued;
    this.queued = [];
    this.inflight = this.queuedBytes;
    this.queuedBytes = 0;
    this.writing = true;
    this.fh
      .then((fh) => fh.writev(bufs))
      .then(
        ({ bytesWritten }) => {
          this.writing = false;
          this.written += bytesWritten;
          this.inflight = 0;
          this.onProgress?.(this.written, this.size);
          if (this.channel.isPaused()) this.channel.resume();
          this.grant();
          this.flush();
        },
        (e: Error) => this.fail(e),
      );
  }

  private fail(e: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.channel.close();
    const done = () => this.reject(e);
    if (this.fh) this.fh.then((fh) => fh.close()).then(done, done);
    else done();
  }

  /** The channel closed and every byte is written: was it the whole file, read without error? */
  private finish(): void {
    if (this.failed) return;
    if (this.header) return this.giveUp();
    this.failed = true; // nothing after this
    const problem =
      this.code !== 0
        ? `cat ${this.code === null ? 'did not exit' : `exited ${this.code}`}${this.stderr ? `: ${this.stderr.trim()}` : ''}`
        : this.written !== this.size
          ? `the file changed size during the download (${this.size} bytes at the start, ${this.written} read)`
          : undefined;
    void this.fh!.then((fh) => fh.close()).then(
      () => (problem ? this.reject(new TransferError(this.remote, problem)) : this.resolve(this.written)),
      (e: Error) => this.reject(e),
    );
  }
}
