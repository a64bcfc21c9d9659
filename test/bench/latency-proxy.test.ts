import { afterEach, describe, expect, it } from 'vitest';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { randomBytes } from 'node:crypto';
import { LatencyProxy, startLatencyProxies } from '../../bench/latency-proxy.js';

const cleanup: Array<() => Promise<void> | void> = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

/** A TCP server on loopback running `onConn` for each connection. */
async function server(onConn: (s: Socket) => void): Promise<{ host: string; port: number }> {
  const srv: Server = createServer({ noDelay: true }, onConn);
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  cleanup.push(() => new Promise<void>((r) => srv.close(() => r())));
  const a = srv.address() as { port: number };
  return { host: '127.0.0.1', port: a.port };
}

async function proxyTo(target: { host: string; port: number }, delay: number): Promise<LatencyProxy> {
  const p = await LatencyProxy.start(target, delay);
  cleanup.push(() => p.close());
  return p;
}

async function dial(p: LatencyProxy): Promise<Socket> {
  const c = connect({ ...p.address, noDelay: true });
  cleanup.push(() => void c.destroy());
  await once(c, 'connect');
  return c;
}

/** Reads from `s` until `n` bytes have come. */
function readBytes(s: Socket, n: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = [];
    let got = 0;
    const onData = (d: Buffer) => {
      parts.push(d);
      got += d.length;
      if (got >= n) {
        s.off('data', onData);
        resolve(Buffer.concat(parts));
      }
    };
    s.on('data', onData);
    s.once('error', reject);
  });
}

describe('bench/latency-proxy', () => {
  it('delays server->client data by the one-way delay', async () => {
    const target = await server((s) => s.end('hello'));
    const p = await proxyTo(target, 120);
    const t0 = performance.now();
    const c = await dial(p);
    const got = await readBytes(c, 5);
    expect(got.toString()).toBe('hello');
    expect(performance.now() - t0).toBeGreaterThanOrEqual(115);
  });

  it('delays client->server data by the one-way delay', async () => {
    let arrived = 0;
    const target = await server((s) => s.once('data', () => (arrived = performance.now())));
    const p = await proxyTo(target, 120);
    const c = await dial(p);
    const sent = performance.now();
    c.write('x');
    while (!arrived) await new Promise((r) => setTimeout(r, 10));
    expect(arrived - sent).toBeGreaterThanOrEqual(115);
  });

  it('delivers every byte in order both ways (an echo of 4 MB in uneven writes)', async () => {
    const target = await server((s) => s.pipe(s));
    const p = await proxyTo(target, 5);
    const c = await dial(p);
    const data = randomBytes(4 << 20);
    for (let off = 0, k = 1; off < data.length; off += k, k = (k * 7919) % 65521) c.write(data.subarray(off, off + k));
    const back = await readBytes(c, data.length);
    expect(back.equals(data)).toBe(true);
    expect(p.counters.up).toBe(data.length);
    expect(p.counters.down).toBe(data.length);
  });

  it('keeps byte order when the delay is lowered mid-stream', async () => {
    const target = await server((s) => s.pipe(s));
    const p = await proxyTo(target, 150);
    const c = await dial(p);
    c.write('first-');
    await new Promise((r) => setTimeout(r, 20));
    p.delayMs = 0;
    c.write('second');
    expect((await readBytes(c, 12)).toString()).toBe('first-second');
  });

  it('does not serialise chunks: ten writes 20 ms apart each take one delay, not one delay each', async () => {
    const target = await server((s) => s.pipe(s));
    const p = await proxyTo(target, 100);
    const c = await dial(p);
    const t0 = performance.now();
    const back = readBytes(c, 10);
    for (let i = 0; i < 10; i++) {
      c.write(String(i));
      await new Promise((r) => setTimeout(r, 20));
    }
    expect((await back).toString()).toBe('0123456789');
    // serialised, each chunk would wait 2 x 100 ms behind the one before it: at least 2 s
    expect(performance.now() - t0).toBeLessThan(1500);
  });

  it('counts a turn for each client burst that answers server data', async () => {
    const target = await server((s) => {
      s.write('hi');
      s.on('data', (d) => s.write(d));
    });
    const p = await proxyTo(target, 10);
    const c = await dial(p);
    await readBytes(c, 2);
    for (let i = 0; i < 4; i++) {
      c.write('ping');
      await readBytes(c, 4);
    }
    expect(p.counters.turns).toBe(4);
    expect(p.counters.connections).toBe(1);
  });

  it('starts one proxy per host and maps names to loopback addresses', async () => {
    const a = await server((s) => s.end('A'));
    const b = await server((s) => s.end('B'));
    const set = await startLatencyProxies(
      { a: { address: a.host, port: a.port }, b: { address: b.host, port: b.port } },
      0,
    );
    cleanup.push(() => set.close());
    expect(Object.keys(set.mapping).sort()).toEqual(['a', 'b']);
    for (const [name, addr] of Object.entries(set.mapping)) {
      expect(addr.host).toBe('127.0.0.1');
      expect(addr.port).not.toBe(name === 'a' ? a.port : b.port);
      const c = connect({ ...addr });
      cleanup.push(() => void c.destroy());
      expect((await readBytes(c, 1)).toString()).toBe(name.toUpperCase());
    }
    set.setDelay(30);
    expect(Object.values(set.proxies).map((p) => p.delayMs)).toEqual([30, 30]);
    expect(set.counters().connections).toBe(2);
  });
});
