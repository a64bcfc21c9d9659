/**
 * A TCP proxy that delays each direction by a fixed time, to stand in for a slow link (25 ms each way = 50 ms RTT).
 * Each direction is a queue of (due time, chunk): a chunk is written when its time comes, in arrival order, so the
 * link adds latency without capping throughput (a sleep per chunk would serialise chunks and cut the bandwidth).
 * It also counts "turns": a client->server burst that follows server->client data, i.e. the client answering
 * the server, as a cross-check of the round trips an operation costs. Depends on node:net only.
 */
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';

export interface Target {
  host: string;
  port: number;
}

export interface ProxyCounters {
  /** TCP connections accepted */
  connections: number;
  /** client->server bursts that followed server->client data delivered to the client */
  turns: number;
  /** bytes forwarded client->server and server->client */
  up: number;
  down: number;
}

/** One direction of one connection: chunks leave `delay` ms after they arrived, in order, never earlier. */
class DelayedPipe {
  private readonly queue: Array<{ due: number; chunk: Buffer | null }> = [];
  private timer: NodeJS.Timeout | undefined;
  private lastDue = 0;

  constructor(
    private readonly to: Socket,
    private readonly delay: () => number,
    private readonly onDeliver: (bytes: number) => void,
  ) {}

  /** `null` = the source ended: end the destination once the data before it is delivered. */
  push(chunk: Buffer | null): void {
    // never earlier than the chunk before it, even if the delay was lowered meanwhile: byte order is kept
    const due = Math.max(performance.now() + this.delay(), this.lastDue);
    this.lastDue = due;
    this.queue.push({ due, chunk });
    if (!this.timer) this.arm();
  }

  private arm(): void {
    const head = this.queue[0];
    if (!head) return;
    this.timer = setTimeout(() => this.flush(), Math.max(0, head.due - performance.now()));
  }

  private flush(): void {
    this.timer = undefined;
    const now = performance.now();
    while (this.queue.length && this.queue[0]!.due <= now + 0.5) {
      const { chunk } = this.queue.shift()!;
      if (this.to.destroyed) return void (this.queue.length = 0);
      if (chunk === null) this.to.end();
      else {
        this.to.write(chunk);
        this.onDeliver(chunk.length);
      }
    }
    this.arm();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.queue.length = 0;
  }
}

export class LatencyProxy {
  /** one-way delay in ms; may be changed while connections are open */
  delayMs: number;
  readonly counters: ProxyCounters = { connections: 0, turns: 0, up: 0, down: 0 };
  /**
   * When set, the wall-clock time (Date.now()) of every turn is pushed here, to attribute turns to operations timed
   * in another process (performance.timeOrigin-based times drift apart between long-lived processes).
   */
  turnLog?: number[];
  private readonly sockets = new Set<Socket>();

  private constructor(
    private readonly server: Server,
    readonly target: Target,
    delayMs: number,
  ) {
    this.delayMs = delayMs;
  }

  /** Listens on `listenHost` (127.0.0.1) port `port` (0: any free port) and forwards to `target`. */
  static async start(target: Target, delayMs: number, listenHost = '127.0.0.1', port = 0): Promise<LatencyProxy> {
    const server = createServer({ noDelay: true });
    const proxy = new LatencyProxy(server, target, delayMs);
    server.on('connection', (c) => proxy.accept(c));
    server.listen(port, listenHost);
    await once(server, 'listening');
    return proxy;
  }

  get address(): Target {
    const a = this.server.address();
    if (!a || typeof a === 'string') throw new Error('latency proxy is not listening');
    return { host: a.address, port: a.port };
  }

  resetCounters(): void {
    Object.assign(this.counters, { connections: 0, turns: 0, up: 0, down: 0 });
  }

  private accept(client: Socket): void {
    this.counters.connections++;
    const server = connect({ host: this.target.host, port: this.target.port, noDelay: true });
    // Nagle on either leg would add its own delay to small writes and blur the counts
    client.setNoDelay(true);
    for (const s of [client, server]) this.sockets.add(s);
    let answered = true; // the client has not yet seen server data it could be answering
    const delay = () => this.delayMs;
    const up = new DelayedPipe(server, delay, (n) => (this.counters.up += n));
    const down = new DelayedPipe(client, delay, (n) => {
      this.counters.down += n;
      answered = false;
    });
    client.on('data', (d: Buffer) => {
      if (!answered) {
        this.counters.turns++;
        this.turnLog?.push(Date.now());
      }
      answered = true;
      up.push(d);
    });
    server.on('data', (d: Buffer) => down.push(d));
    client.on('end', () => up.push(null));
    server.on('end', () => down.push(null));
    const closeBoth = () => {
      up.stop();
      down.stop();
      client.destroy();
      server.destroy();
      this.sockets.delete(client);
      this.sockets.delete(server);
    };
    client.on('error', closeBoth);
    server.on('error', closeBoth);
    client.on('close', () => (server.writableEnded ? closeBoth() : undefined));
    server.on('close', () => (client.writableEnded ? closeBoth() : undefined));
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

export interface ProxySet {
  /** host name -> the proxy's loopback address */
  mapping: Record<string, Target>;
  proxies: Record<string, LatencyProxy>;
  setDelay(oneWayMs: number): void;
  counters(): ProxyCounters;
  resetCounters(): void;
  close(): Promise<void>;
}

/**
 * Starts one proxy per host (e.g. a lab's `state.hosts`), each delaying both directions by `oneWayMs`. `listen`
 * picks each proxy's address (default 127.0.0.1, any free port).
 */
export async function startLatencyProxies(
  hosts: Record<string, { address: string; port: number }>,
  oneWayMs: number,
  listen: (name: string, index: number) => Partial<Target> = () => ({}),
): Promise<ProxySet> {
  const entries = await Promise.all(
    Object.entries(hosts).map(async ([name, h], i) => {
      const at = listen(name, i);
      const p = await LatencyProxy.start({ host: h.address, port: h.port }, oneWayMs, at.host, at.port);
      return [name, p] as const;
    }),
  );
  const proxies = Object.fromEntries(entries);
  const all = Object.values(proxies);
  return {
    proxies,
    mapping: Object.fromEntries(entries.map(([n, p]) => [n, p.address])),
    setDelay: (ms) => all.forEach((p) => (p.delayMs = ms)),
    counters: () =>
      all.reduce(
        (sum, p) => ({
          connections: sum.connections + p.counters.connections,
          turns: sum.turns + p.counters.turns,
          up: sum.up + p.counters.up,
          down: sum.down + p.counters.down,
        }),
        { connections: 0, turns: 0, up: 0, down: 0 },
      ),
    resetCounters: () => all.forEach((p) => p.resetCounters()),
    close: async () => void (await Promise.all(all.map((p) => p.close()))),
  };
}
