import { createServer, type Server, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { SshConnection } from '../../lib/transport/ssh-client.js';

let server: Server | undefined;
const sockets: Socket[] = [];
afterEach(() => {
  sockets.splice(0).forEach((s) => s.destroy());
  server?.close();
});

/** A TCP server on loopback that does `onConnect` with each client; resolves with its port. */
function listen(onConnect: (s: Socket) => void): Promise<number> {
  server = createServer((s) => (sockets.push(s), onConnect(s)));
  return new Promise((res) => server!.listen(0, '127.0.0.1', () => res((server!.address() as { port: number }).port)));
}

describe('SshConnection (ssh2 without node-ssh)', () => {
  it('rejects when the server hangs up before the handshake ends, and forgets the client', async () => {
    const port = await listen((s) => s.end());
    const c = new SshConnection();
    await expect(c.connect({ host: '127.0.0.1', port, username: 'u', readyTimeout: 5000 })).rejects.toThrow(
      /lost before handshake/,
    );
    expect(c.connection).toBeNull();
  });

  it("rejects with ssh2's own timeout when the server never speaks", async () => {
    const port = await listen(() => undefined);
    const c = new SshConnection();
    await expect(c.connect({ host: '127.0.0.1', port, username: 'u', readyTimeout: 300 })).rejects.toThrow(
      /timed out/i,
    );
  });

  it('refuses SFTP and forwarding once disposed', async () => {
    const c = new SshConnection();
    c.dispose();
    await expect(c.requestSFTP()).rejects.toThrow(/not connected/);
    await expect(c.forwardOut('127.0.0.1', 0, 'h', 22)).rejects.toThrow(/not connected/);
  });
});
