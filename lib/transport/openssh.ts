/**
 * A Transport over the system's OpenSSH client: one master per endpoint (ControlMaster), every
 * command and file transfer a client of it (`ssh cat`), so a master left running with
 * ControlPersist serves later runs too. ssh2 stays the embedded default (ssh.ts).
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { stat as localStat } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import { quote } from '../commands/quote.js';
import { ConnectionLostError } from '../errors.js';
import { describeEndpoint, type SshEndpoint } from './endpoint.js';
import { bootstrapCommand, execArgs, GO_MARK, hostArgument, killCommand, type OpenSshSetup } from './openssh-args.js';
import { HeldInput, PidFilter } from './openssh-marks.js';
import { masterAnswers, stopMaster } from './openssh-master.js';
import type { ExecOptions, ExecResult, FileStat, RemoteProcess, Transport } from './types.js';

const KILL_GRACE_MS = 2000;

interface Quiet {
  code: number | null;
  stdout: Buffer;
  stderr: string;
}
interface Client {
  child: ChildProcessWithoutNullStreams;
  /** Starts reading stderr through a PidFilter into `out`. */
  filter: (out: (c: Buffer) => void) => PidFilter;
}

export class OpenSshTransport implements Transport {
  readonly kind = 'ssh' as const;
  readonly hostArg: string;
  private closing = false;

  constructor(
    private readonly ep: SshEndpoint,
    readonly setup: OpenSshSetup,
    /** A persistent master outlives the run; a run's own master is stopped by close(). */
    private readonly persistent: boolean,
  ) {
    this.hostArg = hostArgument(ep);
  }

  get controlPath(): string {
    return this.setup.controlPath;
  }

  /**
   * One ssh client of the master running `command`; the command text goes on stdin (see bootstrapCommand),
   * at once, or under a pty by the caller once the bootstrap asks for it.
   */
  private async client(command: string, pty = false): Promise<Client & { body: Buffer }> {
    const body = Buffer.from(command, 'utf8');
    const child = spawn('ssh', execArgs(this.ep, this.setup, bootstrapCommand(body.length, pty), pty), {
      stdio: 'pipe',
      detached: true,
      // As ssh2's pty: a terminal for commands, not for people (no colours, no pagers' screen handling).
      ...(pty ? { env: { ...process.env, TERM: 'dumb' } } : {}),
    });
    await new Promise<void>((res, rej) => {
      child.once('spawn', res);
      const target = describeEndpoint(this.ep);
      child.once('error', (e) => rej(new ConnectionLostError(this.ep.name, target, `cannot run ssh: ${e.message}`)));
    });
    // A command that never reads its stdin must not crash us with EPIPE.
    child.stdin.on('error', () => {});
    if (!pty) child.stdin.write(body);
    return {
      child,
      body,
      filter: (out) => {
        const f = new PidFilter(out);
        child.stderr.on('data', (c: Buffer) => f.push(c));
        return f;
      },
    };
  }

  /** 255 is ssh's own failure, or the command's exit code: the master tells which. */
  private async settle(code: number | null, signal: NodeJS.Signals | null, killed: boolean): Promise<ExecResult> {
    if (killed && (code === 255 || code === null)) return { code: null, signal: 'TERM' };
    if (code === null) return { code: null, signal: signal ? signal.replace(/^SIG/, '') : null };
    if (code === 255 && !this.closing && !(await masterAnswers(this.setup.controlPath))) {
      throw new ConnectionLostError(this.ep.name, describeEndpoint(this.ep), 'the connection closed');
    }
    return { code, signal: null };
  }

  async exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    return opts.pty ? this.execPty(command, opts) : this.execPlain(command, opts);
  }

  private async execPlain(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    const { child, filter } = await this.client(command);
    const pids = filter(opts.onStderr);
    child.stdout.on('data', (d: Buffer) => opts.onStdout(d));
    return this.started(child, pids, child.stdin);
  }

  /**
   * Under a pty (-tt) the command's stderr arrives on stdout, where the bootstrap's lines are too: the command
   * text is written on the pid line, the input (secrets, stdin, the sudo password) after `fab-go`, never
   * before the terminal stopped echoing. ssh's own stderr carries only ssh's messages.
   */
  private async execPty(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    const { child, body } = await this.client(command, true);
    const input = new HeldInput(child.stdin);
    const onMark = (mark: string): void => (mark === GO_MARK ? input.open() : void child.stdin.write(body));
    const pids = new PidFilter(opts.onStdout, { pty: true, onMark });
    child.stdout.on('data', (d: Buffer) => pids.push(d));
    child.stderr.on('data', (d: Buffer) => opts.onStderr(d));
    return this.started(child, pids, input);
  }

  private started(
    child: ChildProcessWithoutNullStreams,
    pids: PidFilter,
    input: { write(d: Buffer | string): unknown; end(): unknown },
  ): RemoteProcess {
    let killed = false;
    const done = new Promise<ExecResult>((res, rej) =>
      child.on('close', (code, signal) => {
        pids.end();
        this.settle(code, signal, killed).then(res, rej);
      }),
    );
    return {
      write: (data) => void input.write(data),
      end: () => void input.end(),
      // Signal the remote process group, as ssh2's signal request makes sshd do; the local client
      // goes only if that did not end it.
      kill: () => {
        killed = true;
        if (pids.pid) void this.quiet(killCommand(pids.pid)).catch(() => undefined);
        else child.kill('SIGTERM');
        setTimeout(() => child.exitCode === null && child.kill('SIGTERM'), KILL_GRACE_MS).unref();
      },
      done,
    };
  }

  /** Runs a helper command, feeding `input`, collecting stdout into `sink` (or memory) and stderr. */
  private async quiet(
    command: string,
    input?: NodeJS.ReadableStream | Buffer,
    sink?: NodeJS.WritableStream,
  ): Promise<Quiet> {
    const { child, filter } = await this.client(command);
    const err: Buffer[] = [];
    const pids = filter((c) => err.push(c));
    const out: Buffer[] = [];
    const sinking = sink ? pipeline(child.stdout, sink) : undefined;
    if (!sink) child.stdout.on('data', (d: Buffer) => out.push(d));
    if (input instanceof Buffer) child.stdin.end(input);
    else if (input) await pipeline(input, child.stdin);
    else child.stdin.end();
    type Exit = [number | null, NodeJS.Signals | null];
    const [code, signal] = await new Promise<Exit>((res) => child.on('close', (c, s) => res([c, s])));
    pids.end();
    await sinking;
    const r = await this.settle(code, signal, false);
    return { code: r.code, stdout: Buffer.concat(out), stderr: Buffer.concat(err).toString('utf8') };
  }

  private fileError(path: string, stderr: string): Error {
    const msg = stderr.trim().split('\n').pop() ?? 'failed';
    const known: [RegExp, string][] = [
      [/No such file/i, 'ENOENT'],
      [/Permission denied/i, 'EACCES'],
      [/Is a directory/i, 'EISDIR'],
    ];
    const code = known.find(([re]) => re.test(msg))?.[1] ?? 'EIO';
    return Object.assign(new Error(`${path}: ${msg.replace(/^.*?: /, '')}`), { code });
  }

  private writeCommand(remotePath: string, mode?: number): string {
    const p = quote(remotePath);
    // With a mode, the file never exists with looser permissions than asked, even for a moment.
    return mode === undefined
      ? `cat > ${p}`
      : `umask 077 && cat > ${p} && chmod ${mode.toString(8).padStart(4, '0')} ${p}`;
  }

  async put(localPath: string, remotePath: string, opts: { mode?: number } = {}): Promise<number> {
    const r = await this.quiet(this.writeCommand(remotePath, opts.mode), createReadStream(localPath));
    if (r.code !== 0) throw this.fileError(remotePath, r.stderr);
    return (await localStat(localPath)).size;
  }

  async get(remotePath: string, localPath: string): Promise<number> {
    const r = await this.quiet(`cat -- ${quote(remotePath)}`, undefined, createWriteStream(localPath));
    if (r.code !== 0) throw this.fileError(remotePath, r.stderr);
    return (await localStat(localPath)).size;
  }

  async readFile(remotePath: string): Promise<Buffer> {
    const r = await this.quiet(`cat -- ${quote(remotePath)}`);
    if (r.code !== 0) throw this.fileError(remotePath, r.stderr);
    return r.stdout;
  }

  async writeFile(remotePath: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    const r = await this.quiet(this.writeCommand(remotePath, opts.mode), Buffer.from(data));
    if (r.code !== 0) throw this.fileError(remotePath, r.stderr);
  }

  async stat(remotePath: string): Promise<FileStat | undefined> {
    const r = await this.quiet(`stat -L -c '%f %u %g %s' -- ${quote(remotePath)}`);
    if (r.code !== 0) {
      const e = this.fileError(remotePath, r.stderr) as Error & { code: string };
      if (e.code === 'ENOENT') return undefined;
      throw e;
    }
    const [rawMode, uid, gid, size] = r.stdout.toString('utf8').trim().split(' ');
    const mode = parseInt(rawMode ?? '0', 16);
    const isDirectory = (mode & 0o170000) === 0o040000;
    return { mode: mode & 0o7777, uid: Number(uid), gid: Number(gid), size: Number(size), isDirectory };
  }

  async close(): Promise<void> {
    this.closing = true;
    if (!this.persistent) await stopMaster(this.setup.controlPath);
  }
}
