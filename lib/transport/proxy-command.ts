import { spawn } from 'node:child_process';
import { Duplex } from 'node:stream';

/** A running ProxyCommand: its stdin/stdout are the SSH connection's byte stream. */
export interface ProxySocket {
  sock: Duplex;
  /** The command's last stderr lines, for the error when the connection fails. */
  stderrTail(): string;
  /** How it ended, if it has (e.g. "exit 1"). */
  exitStatus(): string | undefined;
  stop(): void;
  /** Resolves when the command has exited, or after `ms` (a failed connect waits for its status). */
  ended(ms: number): Promise<void>;
}

/** The ProxyCommand under each open connection, so closing the connection can wait for the command to end. */
const proxies = new WeakMap<object, ProxySocket>();
export const attachProxy = (connection: object, proxy: ProxySocket): void => void proxies.set(connection, proxy);
export const proxyOf = (connection: object): ProxySocket | undefined => proxies.get(connection);

/**
 * Runs `command` (tokens already expanded) as OpenSSH does: `sh -c`, in its own process group so it
 * can be stopped with its children (nc, socat, an ssh -W) when the connection closes.
 */
export function startProxyCommand(command: string): ProxySocket {
  // exec: the shell is replaced, so stopping the pid stops the proxy itself.
  // fab's own secrets stay out of the proxy's environment.
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^FAB_(SUDO_|KEY_)?PASS/.test(k)));
  const child = spawn('/bin/sh', ['-c', `exec ${command}`], { stdio: ['pipe', 'pipe', 'pipe'], detached: true, env });
  let stderr = '';
  let status: string | undefined;
  const exited = new Promise<void>((r) => child.on('exit', () => r()));
  child.stderr.on('data', (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-2000);
  });
  child.on('exit', (code, signal) => {
    status = signal ? `killed by ${signal}` : `exit ${code}`;
  });
  const stop = (): void => {
    if (child.pid && child.exitCode === null && child.signalCode === null) {
      try {
        process.kill(-child.pid, 'SIGTERM');
      } catch {
        /* already gone */
      }
    }
  };
  child.on('error', (err) => {
    status = err.message;
    sock.destroy(err);
  });
  const sock = Duplex.from({ readable: child.stdout, writable: child.stdin });
  sock.on('close', stop);
  // destroy() (fab closing the connection) raises an AbortError on the stream: that is the normal end.
  sock.on('error', () => undefined);
  // A write after the proxy exited (EPIPE) ends the connection; the connect error reports it.
  child.stdin.on('error', () => undefined);
  return {
    sock,
    stderrTail: () => stderr.trim().split('\n').slice(-3).join(' | '),
    exitStatus: () => status,
    stop,
    ended: (ms) => Promise.race([exited, new Promise<void>((r) => setTimeout(r, ms).unref())]),
  };
}
