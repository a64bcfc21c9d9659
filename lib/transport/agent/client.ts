/**
 * A run's one socket to the fab agent, shared by all its hosts: numbered requests and channels over
 * the framed protocol. If the agent goes away, everything in flight fails with `lost` and `dead` is set.
 */
import { connect, type Socket } from 'node:net';
import { encodeFrame, FrameDecoder, fromWire, type Frame, type Header, type WireError } from './protocol.js';

export interface Listener {
  frame(f: Frame): void;
  /** The agent went away (killed, crashed, closed the socket). */
  dead(err: Error): void;
}

export class AgentClient {
  private nextId = 1;
  private readonly listeners = new Map<number, Listener>();
  private readonly decoder = new FrameDecoder();
  dead?: Error;
  private users = 0;

  private constructor(private readonly sock: Socket) {
    sock.on('data', (chunk: Buffer) => {
      let frames: Frame[];
      try {
        frames = this.decoder.push(chunk);
      } catch (err) {
        return void this.die(err as Error);
      }
      for (const f of frames) if (f.header.id !== undefined) this.listeners.get(f.header.id)?.frame(f);
    });
    sock.on('error', (err) => this.die(err));
    sock.on('close', () => this.die(new Error('the fab agent closed the connection')));
  }

  /** Connects and greets; rejects if nothing answers within `timeoutMs` (a dead or wedged agent). */
  static connect(path: string, timeoutMs: number): Promise<{ client: AgentClient; status: AgentStatus }> {
    return new Promise((resolve, reject) => {
      const sock = connect(path);
      const timer = setTimeout(() => (sock.destroy(), reject(new Error('the fab agent does not answer'))), timeoutMs);
      sock.once('error', (err) => (clearTimeout(timer), reject(err)));
      sock.once('connect', () => {
        const client = new AgentClient(sock);
        client.request({ t: 'hello' }).then(
          (f) => (clearTimeout(timer), resolve({ client, status: f.header.value as AgentStatus })),
          (err: unknown) => (clearTimeout(timer), sock.destroy(), reject(err)),
        );
      });
    });
  }

  private die(err: Error): void {
    if (this.dead) return;
    this.dead = err;
    this.sock.destroy();
    for (const l of [...this.listeners.values()]) l.dead(err);
    this.listeners.clear();
  }

  newId(): number {
    return this.nextId++;
  }

  listen(id: number, l: Listener): void {
    if (this.dead) return l.dead(this.dead);
    this.listeners.set(id, l);
  }

  forget(id: number): void {
    this.listeners.delete(id);
  }

  send(h: Header, payload?: Buffer): void {
    if (!this.dead) this.sock.write(encodeFrame(h, payload));
  }

  /** One request, one `result` (or `error`); `onFrame` sees anything else (progress). */
  request(h: Header, payload?: Buffer, onFrame?: (f: Frame) => void): Promise<Frame> {
    const id = this.newId();
    return new Promise((resolve, reject) => {
      this.listen(id, {
        frame: (f) => {
          if (f.header.t === 'result') (this.forget(id), resolve(f));
          else if (f.header.t === 'error') (this.forget(id), reject(fromWire(f.header.error as WireError)));
          else onFrame?.(f);
        },
        dead: reject,
      });
      this.send({ ...h, id }, payload);
    });
  }

  /** Transports share the socket; the last one to close ends it (the agent then releases our connections). */
  use(): void {
    this.users++;
  }

  release(): void {
    if (--this.users <= 0) this.close();
  }

  close(): void {
    this.dead ??= new Error('closed');
    this.sock.end();
    this.listeners.clear();
  }
}

export interface AgentStatus {
  pid: number;
  version: number;
  logins: number;
  connections: number;
}
