/**
 * The per-user fab agent: listens on a Unix socket in the 0700 control directory and serves runs of
 * `fab --persist` from its pool of open ssh2 connections. One session per connected run: the
 * connections it opened are held until it disconnects, and its commands are killed if it goes away
 * (Ctrl-C, a crash), as they would be with a direct connection.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { lstatSync, unlinkSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { RemoteProcess } from '../types.js';
import { Pool, type Held, type OpenRequest } from './pool.js';
import { PROTOCOL_VERSION } from './version.js';
import { encodeFrame, FrameDecoder, toWire, type Frame, type Header } from './protocol.js';

/** A started agent nobody connects to (its run died first) does not linger. */
const UNUSED_EXIT_MS = 10_000;
/** Progress relayed at most this often per transfer. */
const PROGRESS_MS = 100;

class Session {
  private readonly decoder = new FrameDecoder();
  private readonly channels = new Map<number, RemoteProcess>();
  /** stdin, EOF and kill that arrived while the channel was still opening, applied in order once it is. */
  private readonly waiting = new Map<number, ((p: RemoteProcess) => void)[]>();
  private readonly held: Held[] = [];
  private gone = false;

  constructor(
    private readonly sock: Socket,
    private readonly agent: Agent,
  ) {
    sock.on('data', (chunk: Buffer) => {
      try {
        for (const f of this.decoder.push(chunk)) void this.handle(f);
      } catch {
        sock.destroy();
      }
    });
    sock.on('error', () => undefined);
    sock.on('close', () => this.closed());
  }

  private send(h: Header, payload?: Buffer): void {
    if (!this.sock.destroyed) this.sock.write(encodeFrame(h, payload));
  }

  private fail(id: number | undefined, err: unknown): void {
    this.send({ t: 'error', id, error: toWire(err) });
  }

  private async conn(key: unknown): Promise<Held> {
    const h = typeof key === 'string' ? await this.agent.pool.get(key) : undefined;
    if (!h) throw new Error('the agent holds no such connection');
    return h;
  }

  private async handle({ header: h, payload }: Frame): Promise<void> {
    const id = h.id;
    if (h.t === 'exec') this.waiting.set(id!, []);
    try {
      switch (h.t) {
        case 'hello':
          return this.reply(id, this.agent.status());
        case 'open': {
          const { held, reused } = await this.agent.pool.open(h as unknown as OpenRequest);
          // A run that left while its connection was opening holds nothing: the connection idles out.
          if (this.gone) return this.agent.pool.release(held);
          this.held.push(held);
          return this.reply(id, { reused });
        }
        case 'exec':
          return await this.exec(id!, await this.conn(h.key), String(h.command), h.pty === true);
        case 'stdin':
          return this.onChannel(id!, (p) => p.write(payload));
        case 'eof':
          return this.onChannel(id!, (p) => p.end());
        case 'kill':
          return this.onChannel(id!, (p) => p.kill());
        case 'stop':
          return this.agent.stop((closed) => this.reply(id, { closed }));
        default: {
          const r = await this.file(h, payload, await this.conn(h.key));
          return this.reply(id, r.value, r.payload);
        }
      }
    } catch (err) {
      if (h.t === 'exec') this.waiting.delete(id!);
      this.fail(id, err);
    }
  }

  private onChannel(id: number, f: (p: RemoteProcess) => void): void {
    const p = this.channels.get(id);
    if (p) f(p);
    else this.waiting.get(id)?.push(f);
  }

  private reply(id: number | undefined, value: unknown, payload?: Buffer): void {
    this.send({ t: 'result', id, value }, payload);
  }

  private async exec(id: number, c: Held, command: string, pty: boolean): Promise<void> {
    const proc = await c.transport.exec(command, {
      onStdout: (d) => this.send({ t: 'out', id }, d),
      onStderr: (d) => this.send({ t: 'err', id }, d),
      ...(pty ? { pty } : {}),
    });
    if (this.gone) return proc.kill();
    this.channels.set(id, proc);
    this.send({ t: 'started', id });
    for (const f of this.waiting.get(id) ?? []) f(proc);
    this.waiting.delete(id);
    proc.done.then(
      (r) => (this.channels.delete(id), this.send({ t: 'exit', id, code: r.code, signal: r.signal })),
      (err: unknown) => (this.channels.delete(id), this.fail(id, err)),
    );
  }

  /** SFTP requests. Local paths are the run's own (same user, same machine) and must be absolute. */
  private async file(h: Header, payload: Buffer, c: Held): Promise<{ value: unknown; payload?: Buffer }> {
    const t = c.transport;
    const remote = String(h.remote);
    const local = (): string => {
      const p = String(h.local);
      if (!isAbsolute(p)) throw new Error(`local path ${p} is not absolute`);
      return p;
    };
    let last = 0;
    const onProgress = (done: number, total: number): void => {
      const now = Date.now();
      if (now - last < PROGRESS_MS && done < total) return;
      last = now;
      this.send({ t: 'progress', id: h.id, done, total });
    };
    const progress = h.progress === true ? { onProgress } : {};
    const mode = typeof h.mode === 'number' ? { mode: h.mode } : {};
    switch (h.t) {
      case 'put':
        return { value: await t.put(local(), remote, { ...mode, ...progress }) };
      case 'get':
        return { value: await t.get(remote, local(), progress) };
      case 'stat':
        return { value: (await t.stat(remote)) ?? null };
      case 'writeFile':
        return { value: await t.writeFile(remote, payload, mode).then(() => null) };
      case 'readFile':
        return { value: null, payload: await t.readFile(remote) };
      default:
        throw new Error(`unknown request ${h.t}`);
    }
  }

  private closed(): void {
    // The run went away: its commands stop, as they would if its own connection had closed.
    this.gone = true;
    for (const proc of this.channels.values()) proc.kill();
    this.channels.clear();
    for (const h of this.held.splice(0)) this.agent.pool.release(h);
    this.agent.left(this);
  }
}

/** What the agent needs of its pool (the unit tests give a scripted one). */
export type PoolLike = Pick<Pool, 'open' | 'get' | 'release' | 'closeAll' | 'size' | 'logins'>;

export class Agent {
  readonly pool: PoolLike;
  private readonly sessions = new Set<Session>();
  private server?: Server;
  private ino?: number;
  private unused?: NodeJS.Timeout;

  constructor(
    private readonly path: string,
    o: { pool?: (onEmpty: () => void) => PoolLike; exit?: () => void } = {},
  ) {
    this.pool = (o.pool ?? ((onEmpty) => new Pool(onEmpty)))(() => this.maybeExit());
    this.onExit = o.exit ?? (() => process.exit(0));
  }

  private readonly onExit: () => void;

  status(): Record<string, unknown> {
    return { pid: process.pid, version: PROTOCOL_VERSION, logins: this.pool.logins, connections: this.pool.size };
  }

  /** Listens; a live agent already on the path wins (this one exits), a stale socket file is replaced. */
  async listen(): Promise<boolean> {
    for (let attempt = 0; attempt < 2; attempt++) {
      const server = createServer((sock) => this.joined(sock));
      const ok = await new Promise<boolean>((res, rej) => {
        server.once('error', (e: NodeJS.ErrnoException) => (e.code === 'EADDRINUSE' ? res(false) : rej(e)));
        server.listen(this.path, () => res(true));
      });
      if (ok) {
        this.server = server;
        this.ino = lstatSync(this.path).ino;
        this.unused = setTimeout(() => this.maybeExit(), UNUSED_EXIT_MS);
        return true;
      }
      if (await answers(this.path)) return false;
      unlinkSync(this.path);
    }
    return false;
  }

  private joined(sock: Socket): void {
    clearTimeout(this.unused);
    this.sessions.add(new Session(sock, this));
  }

  left(s: Session): void {
    this.sessions.delete(s);
    this.maybeExit();
  }

  private maybeExit(): void {
    if (this.sessions.size || this.pool.size) return;
    this.exit();
  }

  stop(then: (closed: number) => void): void {
    void this.pool.closeAll().then((closed) => {
      then(closed);
      setTimeout(() => this.exit(), 50);
    });
  }

  private exit(): void {
    // Remove the socket only if it is still ours (a replacement agent may have taken the path).
    try {
      if (lstatSync(this.path).ino === this.ino) unlinkSync(this.path);
    } catch {
      /* already gone */
    }
    this.server?.close();
    this.onExit();
  }
}

/** Whether something answers on the socket at all (a stale file refuses). */
function answers(path: string): Promise<boolean> {
  return new Promise((res) => {
    const s = connect(path);
    s.once('connect', () => (s.destroy(), res(true)));
    s.once('error', () => res(false));
  });
}
