import type { Duplex } from 'node:stream';
import type { ClientChannel, SFTPWrapper } from 'ssh2';
import { ConnectionLostError } from '../errors.js';
import { proxyOf } from './proxy-command.js';
import type { SshConnection } from './ssh-client.js';
import { canPipeline, execOn, sendSignal, SpareSession } from './ssh-session.js';
import { execPutFile, execReadFile, execWriteFile } from './ssh-small-file.js';
import { catGet } from './ssh-get.js';
import { catPut } from './ssh-put.js';
import { intoLocalFile } from './local-temp.js';
import { sftpGet, sftpPut, sftpStat } from './ssh-sftp.js';
import type {
  ExecOptions,
  FileStat,
  GetFileOptions,
  PutFileOptions,
  RemoteProcess,
  ShellOptions,
  ShellSession,
  SshEndpointInfo,
  Transport,
} from './types.js';

const REFUSAL_GRACE_MS = 1000;

/**
 * A pty for commands, not for people: no echo (a sudo password or stdin never comes back as output)
 * and no \n -> \r\n translation, so lines read the same as without a pty.
 */
const PTY = { term: 'dumb', rows: 24, cols: 200, modes: { ECHO: 0, ONLCR: 0 } } as const;

/** A Transport over one open SSH connection: every command and SFTP transfer of a run reuses it. */
export class SshTransport implements Transport {
  readonly kind = 'ssh' as const;
  private sftpSession?: Promise<SFTPWrapper>;

  /** Set when the connection drops under us (host down, network cut): every later call fails with it. */
  private lost?: ConnectionLostError;
  private closing = false;
  /** The session channel for the next command, opened ahead (undefined: ssh2's own exec, two round trips). */
  private readonly sessions?: SpareSession;

  constructor(
    private readonly ssh: SshConnection,
    private readonly host: string,
    private readonly target: string,
    readonly endpoint?: SshEndpointInfo,
  ) {
    const client = ssh.connection!;
    // Without a listener, an 'error' after the handshake (e.g. ECONNRESET) would crash the process.
    client.on('error', (e: Error) => this.markLost(e.message));
    client.on('close', () => this.markLost('the connection closed'));
    if (canPipeline(client)) {
      this.sessions = new SpareSession(() => this.client);
      this.sessions.prime();
    }
  }

  private markLost(reason: string): void {
    if (!this.closing && !this.lost) this.lost = new ConnectionLostError(this.host, this.target, reason);
  }

  private get client() {
    const c = this.ssh.connection;
    if (this.lost) throw this.lost;
    if (!c) throw new ConnectionLostError(this.host, this.target, 'the connection closed');
    return c;
  }

  private async rawExec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    if (!this.sessions) return this.process(await this.ssh2Exec(command, opts), opts);
    const channel = await this.sessions.take();
    let refused: ((e: Error) => void) | undefined;
    const refusal = new Promise<never>((_, rej) => (refused = rej));
    refusal.catch(() => undefined);
    execOn(this.client, channel, command, opts.pty ? PTY : undefined, (e) => this.refusedOrLost(e, refused!));
    return this.process(channel, opts, refusal);
  }

  /**
   * sshd going away refuses an exec before the connection's close arrives: wait for the close (at most
   * REFUSAL_GRACE_MS, on the error path only) so the error says the connection was lost, as a transfer's would.
   */
  private refusedOrLost(e: Error, reject: (e: Error) => void): void {
    const c = this.ssh.connection;
    if (this.lost || !c) return reject(this.lost ?? e);
    const onClose = () => setImmediate(done);
    const done = () => (clearTimeout(timer), c.off('close', onClose), reject(this.lost ?? e));
    const timer = setTimeout(done, REFUSAL_GRACE_MS);
    c.on('close', onClose);
  }

  private ssh2Exec(command: string, opts: ExecOptions): Promise<ClientChannel> {
    return new Promise((resolve, reject) =>
      this.client.exec(command, opts.pty ? { pty: PTY } : {}, (err, channel) => (err ? reject(err) : resolve(channel))),
    );
  }

  /** A started command on `channel`; `refusal` rejects if the server refused the exec request. */
  private process(channel: ClientChannel, opts: ExecOptions, refusal?: Promise<never>): RemoteProcess {
    let code: number | null = null;
    let signal: string | null = null;
    channel.on('exit', (c: number | null, s?: string) => {
      code = c ?? null;
      signal = s ?? null;
    });
    channel.on('data', (d: Buffer) => opts.onStdout(d));
    channel.stderr.on('data', (d: Buffer) => opts.onStderr(d));
    // A channel that closes without an exit status because the connection died is an error, not an exit code.
    const closed = new Promise<{ code: number | null; signal: string | null }>((res, rej) =>
      channel.on('close', () =>
        setImmediate(() => (code === null && signal === null && this.lost ? rej(this.lost) : res({ code, signal }))),
      ),
    );
    return {
      write: (data) => void channel.write(data),
      end: () => void channel.end(),
      // A signal request lets sshd killpg the session; closing at once would make sshd wait for
      // the command to end instead, so the close comes only if the signal did not work.
      kill: () => {
        sendSignal(channel, 'TERM');
        setTimeout(() => channel.close(), 2000).unref();
      },
      done: refusal ? Promise.race([closed, refusal]) : closed,
    };
  }

  // When the connection drops, ssh2 fails pending requests with "No response from server" before it
  // reports the close; give it a tick, then say what really happened.
  private guard<T>(p: Promise<T>): Promise<T> {
    return p.catch(async (err: unknown) => {
      await new Promise((r) => setImmediate(r));
      throw this.lost ?? err;
    });
  }

  exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    return this.guard(this.rawExec(command, opts));
  }
  put(localPath: string, remotePath: string, opts: PutFileOptions = {}): Promise<number> {
    return this.guard(this.rawPut(localPath, remotePath, opts));
  }
  get(remotePath: string, localPath: string, opts: GetFileOptions = {}): Promise<number> {
    return this.guard(this.rawGet(remotePath, localPath, opts));
  }
  putSmall(data: Buffer, remotePath: string, opts: { mode?: number; intoDir?: string } = {}): Promise<string> {
    // One exec (content on stdin) where SFTP needs open, write, close and a stat; guarded like any transfer.
    return this.guard(execPutFile((c, o) => this.rawExec(c, o), data, remotePath, opts));
  }
  putStream(
    localPath: string,
    remotePath: string,
    opts: PutFileOptions & { intoDir?: string } = {},
  ): Promise<{ remote: string; bytes: number } | undefined> {
    // `cat > tmp` on an exec channel (ssh-put.ts): no SFTP request per chunk; undefined sends the caller to SFTP.
    return this.guard(Promise.resolve().then(() => catPut(this.client, localPath, remotePath, opts)));
  }
  readFile(remotePath: string): Promise<Buffer> {
    return this.guard(this.rawReadFile(remotePath));
  }
  writeFile(remotePath: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    return this.guard(this.rawWriteFile(remotePath, data, opts));
  }
  stat(remotePath: string): Promise<FileStat | undefined> {
    return this.guard(this.rawStat(remotePath));
  }

  shell(opts: ShellOptions): Promise<ShellSession> {
    return this.guard(
      new Promise<ShellSession>((resolve, reject) => {
        this.client.shell({ term: opts.term, rows: opts.rows, cols: opts.cols }, (err, channel) => {
          if (err) return reject(err);
          let code: number | null = null;
          let signal: string | null = null;
          channel.on('exit', (c: number | null, s?: string) => ((code = c ?? null), (signal = s ?? null)));
          channel.on('data', opts.onData);
          channel.stderr.on('data', opts.onData);
          const done = new Promise<{ code: number | null; signal: string | null }>((res) =>
            channel.on('close', () => res({ code, signal })),
          );
          resolve({
            write: (d) => void channel.write(d),
            resize: (rows, cols) => void channel.setWindow(rows, cols, 0, 0),
            done,
          });
        });
      }),
    );
  }

  /** A channel to host:port through this connection, for ProxyJump. */
  forward(host: string, port: number): Promise<Duplex> {
    return this.ssh.forwardOut('127.0.0.1', 0, host, port);
  }

  private sftp(): Promise<SFTPWrapper> {
    if (this.lost) return Promise.reject(this.lost);
    this.sftpSession ??= this.ssh.requestSFTP();
    return this.sftpSession;
  }

  /** A copy stopped by Ctrl-C ends its SFTP session (ssh-sftp.ts; a no-op if ended): the next one opens another. */
  private async overSftp<T>(signal: AbortSignal | undefined, copy: (sftp: SFTPWrapper) => Promise<T>): Promise<T> {
    const sftp = await this.sftp();
    try {
      return await copy(sftp);
    } finally {
      if (signal?.aborted) {
        sftp.end();
        this.sftpSession = undefined;
      }
    }
  }

  private rawPut(localPath: string, remotePath: string, opts: PutFileOptions = {}): Promise<number> {
    return this.overSftp(opts.signal, (sftp) => sftpPut(sftp, localPath, remotePath, opts));
  }

  /** A plain readable file comes over `cat` (ssh-get.ts), anything else over SFTP; either way via a temp file. */
  private rawGet(remotePath: string, localPath: string, opts: GetFileOptions = {}): Promise<number> {
    return intoLocalFile(
      localPath,
      async (tmp) =>
        (await catGet(this.client, remotePath, tmp, opts.onProgress, opts.signal)) ??
        (await this.overSftp(opts.signal, (sftp) => sftpGet(sftp, remotePath, tmp, opts))),
    );
  }

  // One exec round trip instead of SFTP's open, read, close (ssh2's readFile also fstats first).
  private rawReadFile(remotePath: string): Promise<Buffer> {
    return execReadFile((c, o) => this.rawExec(c, o), remotePath);
  }

  private rawWriteFile(remotePath: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    return execWriteFile((c, o) => this.rawExec(c, o), remotePath, data, opts.mode);
  }

  private async rawStat(remotePath: string): Promise<FileStat | undefined> {
    return sftpStat(await this.sftp(), remotePath);
  }

  async close(): Promise<void> {
    this.closing = true;
    this.sessions?.close();
    this.ssh.dispose();
    // A ProxyCommand is stopped when its socket closes; wait for it, so no proxy outlives the run.
    await proxyOf(this.ssh)?.ended(1000);
  }
}
