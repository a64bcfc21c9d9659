/**
 * The agent's open connections, keyed by endpoint identity. A connection is held while a run that
 * opened it is still connected to the agent, and closed after `persistMs` with no run holding it.
 */
import { Secret } from '../../commands/quote.js';
import { ConnectError, errorMessage } from '../../errors.js';
import { Credentials } from '../credentials.js';
import { describeEndpoint, type SshEndpoint } from '../endpoint.js';
import { openSsh } from '../ssh-connect.js';
import { SshTransport } from '../ssh.js';

export interface OpenRequest {
  key: string;
  ep: SshEndpoint;
  acceptNew: boolean;
  persistMs: number;
  /** The identity of the previous hop, already open in this agent (ProxyJump). */
  via?: string;
  /** Only to log in; never stored beyond the login, never logged. */
  password?: string;
  passphrase?: string;
}

export interface Held {
  key: string;
  transport: SshTransport;
  via?: Held;
  holders: number;
  persistMs: number;
  timer?: NodeJS.Timeout;
}

export class Pool {
  private readonly conns = new Map<string, Promise<Held>>();
  /** SSH logins this agent made (tests read it through `hello`). */
  logins = 0;

  constructor(private readonly onEmpty: () => void) {}

  get size(): number {
    return this.conns.size;
  }

  /** Finds the warm connection or opens it; the caller holds it until release(). */
  async open(r: OpenRequest): Promise<{ held: Held; reused: boolean }> {
    let p = this.conns.get(r.key);
    const reused = p !== undefined;
    if (!p) {
      p = this.connect(r);
      this.conns.set(r.key, p);
      p.catch(() => this.conns.get(r.key) === p && this.conns.delete(r.key));
    }
    const held = await p;
    held.persistMs = r.persistMs;
    this.hold(held);
    return { held, reused };
  }

  async get(key: string): Promise<Held | undefined> {
    return this.conns.get(key);
  }

  hold(h: Held): void {
    for (let c: Held | undefined = h; c; c = c.via) {
      c.holders++;
      clearTimeout(c.timer);
      c.timer = undefined;
    }
  }

  release(h: Held): void {
    for (let c: Held | undefined = h; c; c = c.via) {
      c.holders = Math.max(0, c.holders - 1);
      const held = c;
      if (!held.holders) held.timer = setTimeout(() => this.drop(held), held.persistMs);
    }
  }

  private async connect(r: OpenRequest): Promise<Held> {
    const via = r.via ? await this.conns.get(r.via) : undefined;
    if (r.via && !via) throw new ConnectError(r.ep.name, describeEndpoint(r.ep), `jump host ${r.ep.jump} is not open`);
    let sock;
    if (via) {
      try {
        sock = await via.transport.forward(r.ep.host, r.ep.port);
      } catch (err) {
        const why = `the jump host could not reach it: ${errorMessage(err)}`;
        throw new ConnectError(r.ep.name, `${describeEndpoint(r.ep)} via ${r.ep.jump}`, why);
      }
    }
    const creds = new Credentials({
      passwordAuth: r.password !== undefined,
      ...(r.password !== undefined ? { password: new Secret(r.password) } : {}),
      ...(r.passphrase !== undefined ? { keyPassphrase: new Secret(r.passphrase) } : {}),
      addSecret: () => undefined,
    });
    const ssh = await openSsh(r.ep, r.acceptNew, sock, creds);
    this.logins++;
    const held: Held = {
      key: r.key,
      transport: new SshTransport(ssh, r.ep.name, describeEndpoint(r.ep), r.ep),
      holders: 0,
      persistMs: r.persistMs,
      ...(via ? { via } : {}),
    };
    // A connection that dropped is forgotten at once: the next run opens a fresh one.
    ssh.connection?.on('close', () => this.forget(held));
    ssh.connection?.on('error', () => this.forget(held));
    return held;
  }

  private forget(h: Held): void {
    void this.conns.get(h.key)?.then((cur) => cur === h && this.conns.delete(h.key) && this.emptied());
  }

  private drop(h: Held): void {
    if (h.holders) return;
    void h.transport.close();
    this.forget(h);
  }

  private emptied(): void {
    if (!this.conns.size) this.onEmpty();
  }

  async closeAll(): Promise<number> {
    const all = await Promise.allSettled([...this.conns.values()]);
    this.conns.clear();
    let n = 0;
    for (const r of all) {
      if (r.status !== 'fulfilled') continue;
      clearTimeout(r.value.timer);
      await r.value.transport.close();
      n++;
    }
    return n;
  }
}
