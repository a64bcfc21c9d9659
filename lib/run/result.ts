/** What `run`, `sudo` and `local` resolve with. `String(result)` is stdout without the last newline. */
export class RunResult {
  constructor(
    readonly host: string,
    /** The command as the task wrote it (secrets masked). */
    readonly command: string,
    /** The command line really sent, after cd/env/prefix/sudo (secrets masked). */
    readonly executed: string,
    readonly stdout: string,
    readonly stderr: string,
    readonly code: number | null,
    readonly signal: string | null = null,
    /** True when --dry-run skipped the command. */
    readonly skipped = false,
    /** Set when output beyond the `output_limit` setting was not kept: bytes left out of each stream. */
    readonly truncated?: { stdout: number; stderr: number; limit: number },
  ) {}

  get ok(): boolean {
    return this.code === 0;
  }
  get failed(): boolean {
    return !this.ok;
  }
  lines(): string[] {
    const s = this.stdout.replace(/\n$/, '');
    return s === '' ? [] : s.split('\n');
  }
  toString(): string {
    return this.stdout.replace(/\n$/, '');
  }
}

export interface RunOptions {
  nothrow?: boolean;
  quiet?: boolean;
  /** Milliseconds. */
  timeout?: number;
  /**
   * A promise: the command starts now and its input is written once known (a commit sent out with the read it
   * depends on); resolving to undefined (or rejecting) closes stdin with nothing written.
   */
  stdin?: string | Buffer | Promise<string | Buffer | undefined>;
  /** Each stdout chunk as it arrives (a script that prints what it read, then waits on stdin for what to write). */
  onStdout?: (chunk: Buffer) => void;
  /** Read-only: still runs under --dry-run. */
  probe?: boolean;
  /** Bytes of stdout (and of stderr) the result keeps; the rest is shown but not kept. */
  outputLimit?: number;
  /** Nobody reads stdout (an ad-hoc command): show it, keep none of it. */
  discardStdout?: boolean;
  /** Run under a pseudo-terminal (sudoers `requiretty`, tools that want a terminal); stderr arrives merged into stdout. */
  pty?: boolean;
}

/** Parses `5s`, `500ms`, `2m` or a number of milliseconds. */
export function toMs(t: number | string): number {
  if (typeof t === 'number') return t;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(t.trim());
  if (!m) throw new Error(`bad duration ${JSON.stringify(t)}: write e.g. 500ms, 10s, 2m`);
  const n = Number(m[1]);
  const unit = m[2] ?? 'ms';
  return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[unit]!;
}

/**
 * A command that is built now and runs when first awaited, so options chain as in zx:
 * `await run('test -f x').nothrow().quiet()`.
 */
export class RunCommand implements PromiseLike<RunResult> {
  private promise?: Promise<RunResult>;
  private readonly opts: RunOptions = {};

  constructor(
    private readonly start: (opts: RunOptions) => Promise<RunResult>,
    opts: RunOptions = {},
  ) {
    Object.assign(this.opts, opts);
  }

  nothrow(): this {
    this.opts.nothrow = true;
    return this;
  }
  quiet(): this {
    this.opts.quiet = true;
    return this;
  }
  probe(): this {
    this.opts.probe = true;
    return this;
  }
  timeout(t: number | string): this {
    this.opts.timeout = toMs(t);
    return this;
  }
  pty(on = true): this {
    this.opts.pty = on;
    return this;
  }
  stdin(data: string | Buffer): this {
    this.opts.stdin = data;
    return this;
  }

  then<A = RunResult, B = never>(
    onOk?: ((r: RunResult) => A | PromiseLike<A>) | null,
    onErr?: ((e: unknown) => B | PromiseLike<B>) | null,
  ): Promise<A | B> {
    this.promise ??= this.start(this.opts);
    return this.promise.then(onOk, onErr);
  }
  catch<B = never>(onErr: (e: unknown) => B | PromiseLike<B>): Promise<RunResult | B> {
    return this.then(undefined, onErr);
  }
}
