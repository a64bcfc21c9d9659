import type { ExecOptions, FileStat, RemoteProcess, Transport } from './types.js';

export interface FakeReply {
  stdout?: string;
  stderr?: string;
  code?: number;
}

/**
 * Records every command and answers from a table: for fast unit tests of what gets sent.
 * `reply` gets the full command line and the stdin written to it.
 */
export class FakeTransport implements Transport {
  readonly kind = 'fake' as const;
  readonly commands: string[] = [];
  readonly stdin: string[] = [];
  readonly files = new Map<string, Buffer>();
  closed = false;

  constructor(private readonly reply: (command: string, stdin: string) => FakeReply = () => ({})) {}

  async exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    this.commands.push(command);
    let input = '';
    let finish!: (r: { code: number | null; signal: string | null }) => void;
    const done = new Promise<{ code: number | null; signal: string | null }>((r) => (finish = r));
    const answer = () => {
      this.stdin.push(input);
      const r = this.reply(command, input);
      if (r.stdout) opts.onStdout(Buffer.from(r.stdout));
      if (r.stderr) opts.onStderr(Buffer.from(r.stderr));
      finish({ code: r.code ?? 0, signal: null });
    };
    return {
      write: (d) => void (input += d.toString()),
      end: () => setImmediate(answer),
      kill: () => finish({ code: null, signal: 'TERM' }),
      done,
    };
  }

  async put(localPath: string, remotePath: string): Promise<number> {
    const { readFile } = await import('node:fs/promises');
    const data = await readFile(localPath);
    this.files.set(remotePath, data);
    return data.length;
  }
  async get(remotePath: string, localPath: string): Promise<number> {
    const { writeFile } = await import('node:fs/promises');
    const data = this.files.get(remotePath) ?? Buffer.alloc(0);
    await writeFile(localPath, data);
    return data.length;
  }
  async readFile(remotePath: string): Promise<Buffer> {
    const f = this.files.get(remotePath);
    if (!f) throw Object.assign(new Error(`no such file: ${remotePath}`), { code: 'ENOENT' });
    return f;
  }
  async writeFile(remotePath: string, data: string | Buffer): Promise<void> {
    this.files.set(remotePath, Buffer.from(data));
  }
  async stat(remotePath: string): Promise<FileStat | undefined> {
    const f = this.files.get(remotePath);
    return f ? { mode: 0o644, uid: 0, gid: 0, size: f.length, isDirectory: false } : undefined;
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
