import { readFile, writeFile } from 'node:fs/promises';
import type {
  ExecOptions,
  ExecResult,
  FileStat,
  PutFileOptions,
  RemoteProcess,
  Transport,
} from '../transport/types.js';
import { unwrapSecrets } from './secret-unwrap.js';
import { unwrapSudo, type Unwrapped } from './sudo-unwrap.js';

/** What a scripted command answers. */
export interface Reply {
  stdout?: string;
  stderr?: string;
  /** Exit code (default 0). */
  code?: number;
}

/**
 * A command as a rule sees it: the text the recipe asked for (sudo wrapper and secret reads removed, secret values
 * back in place) and what was written to its stdin (after the secret lines).
 */
export interface SeenCommand extends Unwrapped {
  /** The full command line the transport was given. */
  executed: string;
  stdin: string;
}

export type Matcher = string | RegExp | ((cmd: SeenCommand) => boolean);
export type Answer = Reply | ((cmd: SeenCommand) => Reply);

interface Rule {
  match: Matcher;
  answer: Answer;
  once: boolean;
  used: number;
}

const matches = (m: Matcher, c: SeenCommand): boolean =>
  typeof m === 'string' ? c.command === m : m instanceof RegExp ? m.test(c.command) : m(c);

/**
 * A Transport that answers from a script instead of a host: rules are tried in the order given; `once` rules
 * are used up by their first match. A command no rule answers fails (exit 127) and is kept in `unexpected`,
 * so `verify()` can fail the test. Files live in memory (`files`), for SFTP reads, writes and stats.
 */
export class ScriptedTransport implements Transport {
  readonly kind = 'scripted' as const;
  /** Every command run, in order. */
  readonly commands: SeenCommand[] = [];
  readonly unexpected: SeenCommand[] = [];
  readonly files = new Map<string, { data: Buffer; mode: number }>();
  closed = false;
  private readonly rules: Rule[] = [];
  private readonly early: Rule[] = [];
  private readonly openings: { match: Matcher; stdout: (cmd: SeenCommand) => string }[] = [];

  constructor(readonly host = 'scripted') {}

  /** Answer every command that matches (a string matches the whole command exactly). */
  on(match: Matcher, answer: Answer = {}): this {
    this.rules.push({ match, answer, once: false, used: 0 });
    return this;
  }

  /** Answer the next matching command once; `verify()` fails if it was never run. */
  once(match: Matcher, answer: Answer = {}): this {
    this.rules.push({ match, answer, once: true, used: 0 });
    return this;
  }

  /**
   * What a matching command prints as soon as it starts, before its stdin is written (a script that reads, then
   * waits on stdin); its answer (`on`/`once`, matched once stdin ends) follows. The rule sees an empty stdin.
   */
  opening(match: Matcher, stdout: string | ((cmd: SeenCommand) => string)): this {
    this.openings.push({ match, stdout: typeof stdout === 'string' ? () => stdout : stdout });
    return this;
  }

  /**
   * A matching command ends at once with this answer, without waiting for its stdin (a script that fails before
   * it reads it, or a sudo that refuses to start). Used up by its first match, like `once`.
   */
  endsEarly(match: Matcher, answer: Reply): this {
    this.early.push({ match, answer, once: true, used: 0 });
    return this;
  }

  /** Throws when a command had no answer or a `once` rule was never used. */
  verify(): void {
    const unused = [...this.rules, ...this.early].filter((r) => r.once && !r.used).map((r) => String(r.match));
    const problems = [
      ...this.unexpected.map((c) => `no answer scripted for: ${c.command}`),
      ...unused.map((m) => `expected but never run: ${m}`),
    ];
    if (problems.length) throw new Error(`[${this.host}] ${problems.join('\n  ')}`);
  }

  async exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    let stdin = '';
    let finish!: (r: ExecResult) => void;
    const done = new Promise<ExecResult>((r) => (finish = r));
    let ended = false;
    const unwrapped = unwrapSudo(command);
    // sudo (which never asks here) is done: the runner waits for this marker before it sends stdin.
    if (unwrapped.startMark) setImmediate(() => opts.onStderr(Buffer.from(`${unwrapped.startMark}\n`)));
    const fresh: SeenCommand = { ...unwrapped, ...unwrapSecrets(unwrapped.command, ''), executed: command };
    const opening = this.openings.find((o) => matches(o.match, fresh));
    if (opening) setImmediate(() => opts.onStdout(Buffer.from(opening.stdout(fresh))));
    const early = this.early.find((r) => !r.used && matches(r.match, fresh));
    if (early) early.used++;
    const answer = (): void => {
      if (ended) return;
      ended = true;
      const seen: SeenCommand = { ...unwrapped, ...unwrapSecrets(unwrapped.command, stdin), executed: command };
      this.commands.push(seen);
      const reply = early ? (early.answer as Reply) : this.reply(seen);
      if (reply.stdout) opts.onStdout(Buffer.from(reply.stdout));
      if (reply.stderr) opts.onStderr(Buffer.from(reply.stderr));
      finish({ code: reply.code ?? 0, signal: null });
    };
    if (early) setImmediate(() => setImmediate(answer));
    // Commands that take no stdin are answered at once; the runner ends stdin when it has nothing to send.
    return {
      write: (d) => void (stdin += d.toString()),
      end: () => setImmediate(answer),
      kill: () => (ended ? undefined : ((ended = true), finish({ code: null, signal: 'TERM' }))),
      done,
    };
  }

  private reply(c: SeenCommand): Reply {
    const rule = this.rules.find((r) => !(r.once && r.used) && matches(r.match, c));
    if (!rule) {
      this.unexpected.push(c);
      return { code: 127, stderr: `scripted transport: no answer for: ${c.command}\n` };
    }
    rule.used++;
    return typeof rule.answer === 'function' ? rule.answer(c) : rule.answer;
  }

  async put(localPath: string, remotePath: string, opts: PutFileOptions = {}): Promise<number> {
    const data = await readFile(localPath);
    this.files.set(remotePath, { data, mode: opts.mode ?? 0o644 });
    return data.length;
  }
  async get(remotePath: string, localPath: string): Promise<number> {
    const data = await this.readFile(remotePath);
    await writeFile(localPath, data);
    return data.length;
  }
  async readFile(remotePath: string): Promise<Buffer> {
    const f = this.files.get(remotePath);
    if (!f) throw Object.assign(new Error(`${remotePath}: No such file`), { code: 'ENOENT' });
    return f.data;
  }
  async writeFile(remotePath: string, data: string | Buffer, opts: { mode?: number } = {}): Promise<void> {
    this.files.set(remotePath, { data: Buffer.from(data), mode: opts.mode ?? 0o644 });
  }
  async stat(remotePath: string): Promise<FileStat | undefined> {
    const f = this.files.get(remotePath);
    return f && { mode: f.mode, uid: 1000, gid: 1000, size: f.data.length, isDirectory: false };
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
