import { copyFile, chmod, readFile, stat, writeFile } from 'node:fs/promises';
import { execa } from 'execa';
import type { ExecOptions, FileStat, PutFileOptions, RemoteProcess, Transport } from './types.js';

/** Runs commands on this machine with /bin/sh -c, through execa. Used by `local()` and by `transport: 'local'` hosts. */
export class LocalTransport implements Transport {
  readonly kind = 'local' as const;

  async exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    // Its own process group, so a timeout or Ctrl-C stops the whole pipeline, not just the shell.
    const child = execa('/bin/sh', ['-c', command], {
      stdin: 'pipe',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
      cleanup: true,
      detached: true,
    });
    child.stdout?.on('data', (c: Buffer) => opts.onStdout(c));
    child.stderr?.on('data', (c: Buffer) => opts.onStderr(c));
    // A command that never reads stdin must not crash us with EPIPE when we write to it.
    child.stdin?.on('error', () => {});
    return {
      write: (data) => child.stdin?.write(data),
      end: () => child.stdin?.end(),
      kill: () => {
        try {
          if (child.pid) process.kill(-child.pid, 'SIGTERM');
        } catch {
          /* already gone */
        }
      },
      done: child.then((r) => ({ code: r.signal ? null : (r.exitCode ?? null), signal: r.signal ?? null })),
    };
  }

  async put(localPath: string, remotePath: string, opts: PutFileOptions = {}): Promise<number> {
    await copyFile(localPath, remotePath);
    if (opts.mode !== undefined) await chmod(remotePath, opts.mode);
    return (await stat(remotePath)).size;
  }

  async get(remotePath: string, localPath: string): Promise<number> {
    await copyFile(remotePath, localPath);
    return (await stat(localPath)).size;
  }

  readFile(remotePath: string): Promise<Buffer> {
    return readFile(remotePath);
  }

  async writeFile(remotePath: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    await writeFile(remotePath, data, opts.mode === undefined ? {} : { mode: opts.mode });
  }

  async stat(remotePath: string): Promise<FileStat | undefined> {
    try {
      const s = await stat(remotePath);
      return { mode: s.mode & 0o7777, uid: s.uid, gid: s.gid, size: s.size, isDirectory: s.isDirectory() };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw err;
    }
  }

  async close(): Promise<void> {}
}
