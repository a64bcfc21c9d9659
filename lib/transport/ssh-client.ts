import type { Client as Ssh2Client, ClientChannel, ConnectConfig, SFTPWrapper } from 'ssh2';
import { Client } from './ssh2-parts.js';

/**
 * One ssh2 connection with the few promise-returning calls fab needs (connect, SFTP, a forwarded channel).
 * It replaces node-ssh, whose wrapper fab had outgrown (commands go through ssh2's channels directly):
 * node-ssh and its six dependencies cost about 10 ms of every run's start-up for these three calls.
 */
export class SshConnection {
  /** The ssh2 client while it is open; null once it has ended or closed (as node-ssh had it). */
  connection: Ssh2Client | null = null;

  /** Resolves on 'ready'; rejects with ssh2's error, or when the connection closes during the handshake. */
  connect(config: ConnectConfig): Promise<this> {
    const client = new Client();
    this.connection = client;
    const gone = () => {
      if (this.connection === client) this.connection = null;
    };
    client.on('end', gone);
    return new Promise((resolve, reject) => {
      client.on('error', reject);
      client.on('ready', () => {
        client.removeListener('error', reject);
        resolve(this);
      });
      client.on('close', () => {
        gone();
        // A safety net so connect never hangs: ssh2 normally reports an error first (ignored after either).
        reject(new Error('the server closed the connection during the SSH handshake'));
      });
      client.connect(config);
    });
  }

  requestSFTP(): Promise<SFTPWrapper> {
    return this.request((c, cb) => c.sftp(cb));
  }

  /** A direct-tcpip channel to host:port through this connection (ProxyJump). */
  forwardOut(srcIP: string, srcPort: number, dstIP: string, dstPort: number): Promise<ClientChannel> {
    return this.request((c, cb) => c.forwardOut(srcIP, srcPort, dstIP, dstPort, cb));
  }

  dispose(): void {
    this.connection?.end();
    this.connection = null;
  }

  private request<T>(start: (c: Ssh2Client, cb: (err: Error | undefined, res: T) => void) => void): Promise<T> {
    const c = this.connection;
    if (!c) return Promise.reject(new Error('not connected'));
    return new Promise((resolve, reject) => {
      c.on('error', reject);
      start(c, (err, res) => {
        c.removeListener('error', reject);
        if (err) reject(err);
        else resolve(res);
      });
    });
  }
}
