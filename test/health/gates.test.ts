import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { GateError, http, tcp, waitFor } from '../../lib/health/gates.js';
import type { TaskContext } from '../../lib/task/context.js';
import { Settings } from '../../lib/model/settings.js';

let port = 0;
let hits = 0;
const server = createServer((req, res) => {
  hits++;
  if (req.url === '/flaky' && hits % 2 === 1) return void res.writeHead(503).end('no');
  if (req.url === '/slow') return void setTimeout(() => res.end('late'), 1000);
  res.end(`ok ${req.url}`);
});
beforeAll(
  () =>
    new Promise<void>((r) =>
      server.listen(0, '127.0.0.1', () => ((port = (server.address() as AddressInfo).port), r())),
    ),
);
afterAll(() => new Promise<void>((r) => server.close(() => r())));

// Gates only read the host's name, address and settings from the context.
const ctx = {
  host: { name: 'web1', address: '127.0.0.1' },
  settings: new Settings({ appPort: port }),
} as unknown as TaskContext;

describe('gates', () => {
  it('passes an http gate after `rise` consecutive successes, filling in the host address', async () => {
    const seen: boolean[] = [];
    await waitFor(ctx, http(`http://{address}:${port}/ok`, { rise: 3, interval: 10 }), (_g, _a, r) => seen.push(r.ok));
    expect(seen).toEqual([true, true, true]);
  });

  it('resets the streak on a failure and fails after the timeout with the last reason', async () => {
    hits = 0;
    const err = await waitFor(
      ctx,
      http(`http://127.0.0.1:${port}/flaky`, { rise: 2, interval: 20, timeout: 300 }),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GateError);
    expect((err as GateError).message).toMatch(/answered 503, not 200/);
  });

  it('checks the body and a per-request timeout', async () => {
    await expect(waitFor(ctx, http(`http://127.0.0.1:${port}/x`, { body: 'ok /x' }))).resolves.toBeUndefined();
    await expect(
      waitFor(ctx, http(`http://127.0.0.1:${port}/x`, { body: /nope/, timeout: 100, interval: 50 })),
    ).rejects.toThrow(/body does not match/);
    await expect(
      waitFor(ctx, http(`http://127.0.0.1:${port}/slow`, { requestTimeout: 100, timeout: 150, interval: 50 })),
    ).rejects.toThrow(/no answer within 100 ms/);
  });

  it('connects a tcp gate, and reports a refused port', async () => {
    await expect(waitFor(ctx, tcp('{address}', port))).resolves.toBeUndefined();
    await expect(waitFor(ctx, tcp('127.0.0.1', 1, { timeout: 100, interval: 50 }))).rejects.toThrow(/ECONNREFUSED/);
  });
});
