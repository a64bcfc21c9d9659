/**
 * A Transport whose SSH connection lives in the fab agent. Commands are channels over the agent's
 * socket; file transfers name local paths the agent reads and writes itself (same user, same machine).
 * If the agent goes away mid-run, commands in flight fail as on a lost connection, and later ones go
 * over a direct connection (`direct`), so a run never waits on a dead agent.
 */
import { resolve } from 'node:path';
import { ConnectionLostError, errorMessage } from '../../errors.js';
import { describeEndpoint, type SshEndpoint } from '../endpoint.js';
import type {
  ExecOptions,
  ExecResult,
  FileStat,
  GetFileOptions,
  PutFileOptions,
  RemoteProcess,
  SshEndpointInfo,
  Transport,
} from '../types.js';
import type { AgentClient } from './client.js';
import { fromWire, type Frame, type Header, type WireError } from './protocol.js';

export class AgentTransport implements Transport {
  readonly kind = 'ssh' as const;
  /** Tells Connections a jump chain can continue inside the agent. */
  readonly viaAgent = true;
  readonly endpoint: SshEndpointInfo;
  private directTransport?: Promise<Transport>;
  private closed = false;

  constructor(
    private readonly client: AgentClient,
    /** The endpoint identity: the agent's name for this connection. */
    readonly key: string,
    private readonly ep: SshEndpoint,
    private readonly direct?: () => Promise<Transport>,
  ) {
    client.use();
    this.endpoint = ep;
  }

  private lost(err: Error): ConnectionLostError {
    return new ConnectionLostError(this.ep.name, describeEndpoint(this.ep), `the fab agent went away (${err.message})`);
  }

  /** The direct connection that replaces a dead agent, opened once. */
  private fallback(): Promise<Transport> | undefined {
    if (!this.client.dead) return undefined;
    if (!this.direct) return Promise.reject(this.lost(this.client.dead));
    return (this.directTransport ??= this.direct());
  }

  async exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    const direct = this.fallback();
    if (direct) return (await direct).exec(command, opts);
    const c = this.client;
    const id = c.newId();
    let settle!: { res: (r: ExecResult) => void; rej: (e: Error) => void };
    const done = new Promise<ExecResult>((res, rej) => (settle = { res, rej }));
    // Nobody awaits `done` until the command is started; a failure before that is reported by exec() itself.
    done.catch(() => undefined);
    const proc: RemoteProcess = {
      write: (data) => c.send({ t: 'stdin', id }, Buffer.from(data)),
      end: () => c.send({ t: 'eof', id }),
      kill: () => c.send({ t: 'kill', id }),
      done,
    };
    return new Promise<RemoteProcess>((resolveStart, rejectStart) => {
      let started = false;
      c.listen(id, {
        frame: ({ header: h, payload }: Frame) => {
          if (h.t === 'out') opts.onStdout(payload);
          else if (h.t === 'err') opts.onStderr(payload);
          else if (h.t === 'started') ((started = true), resolveStart(proc));
          else if (h.t === 'exit') {
            c.forget(id);
            settle.res({ code: (h.code as number | null) ?? null, signal: (h.signal as string | null) ?? null });
          } else if (h.t === 'error') {
            c.forget(id);
            (started ? settle.rej : rejectStart)(fromWire(h.error as WireError));
          }
        },
        dead: (err) => (started ? settle.rej : rejectStart)(this.lost(err)),
      });
      c.send({ t: 'exec', id, key: this.key, command, ...(opts.pty ? { pty: true } : {}) });
    });
  }

  private async call(h: Header, payload?: Buffer, onProgress?: (done: number, total: number) => void): Promise<Frame> {
    try {
      const progress = (f: Frame): void => {
        if (f.header.t === 'progress') onProgress?.(f.header.done as number, f.header.total as number);
      };
      return await this.client.request(
        { ...h, key: this.key, ...(onProgress ? { progress: true } : {}) },
        payload,
        progress,
      );
    } catch (err) {
      if (this.client.dead && !(err instanceof ConnectionLostError)) throw this.lost(this.client.dead);
      throw err;
    }
  }

  async put(localPath: string, remotePath: string, opts: PutFileOptions = {}): Promise<number> {
    const direct = this.fallback();
    if (direct) return (await direct).put(localPath, remotePath, opts);
    const mode = opts.mode === undefined ? {} : { mode: opts.mode };
    const f = await this.call(
      { t: 'put', local: resolve(localPath), remote: remotePath, ...mode },
      undefined,
      opts.onProgress,
    );
    return f.header.value as number;
  }

  async get(remotePath: string, localPath: string, opts: GetFileOptions = {}): Promise<number> {
    const direct = this.fallback();
    if (direct) return (await direct).get(remotePath, localPath, opts);
    const f = await this.call({ t: 'get', local: resolve(localPath), remote: remotePath }, undefined, opts.onProgress);
    return f.header.value as number;
  }

  async readFile(remotePath: string): Promise<Buffer> {
    const direct = this.fallback();
    if (direct) return (await direct).readFile(remotePath);
    return (await this.call({ t: 'readFile', remote: remotePath })).payload;
  }

  async writeFile(remotePath: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    const direct = this.fallback();
    if (direct) return (await direct).writeFile(remotePath, data, opts);
    const mode = opts.mode === undefined ? {} : { mode: opts.mode };
    await this.call({ t: 'writeFile', remote: remotePath, ...mode }, Buffer.from(data));
  }

  async stat(remotePath: string): Promise<FileStat | undefined> {
    const direct = this.fallback();
    if (direct) return (await direct).stat(remotePath);
    return ((await this.call({ t: 'stat', remote: remotePath })).header.value as FileStat | null) ?? undefined;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.client.release();
    await this.directTransport?.then(
      (t) => t.close(),
      (err: unknown) => void errorMessage(err),
    );
  }
}
