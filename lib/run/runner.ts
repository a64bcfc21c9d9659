import type { Prompts } from './prompts.js';
import type { Secret, ShellCommand } from '../commands/quote.js';
import { secretProblem, secretStdin, withSecretInput } from '../commands/secret-input.js';
import { CommandError, CommandTimeoutError, InterruptedError, SudoError, UsageError, tail } from '../errors.js';
import type { EventBus } from '../report/events.js';
import { LineSplitter } from '../report/lines.js';
import { BoundedBuffer, BoundedLines, DEFAULT_OUTPUT_LIMIT } from './capture.js';
import type { ExecResult, Transport } from '../transport/types.js';
import { RunResult, type RunOptions } from './result.js';
import type { SudoMarks } from './scope.js';
import { SudoGate } from './sudo-gate.js';
import type { Interrupts } from './interrupt.js';

/** What every command of a run shares: the event stream, global switches, the sudo password. */
export interface RunConfig {
  events: EventBus;
  warnOnly: boolean;
  commandTimeoutMs?: number;
  dryRun: boolean;
  sudoPassword?: Secret;
  /** Aborted on Ctrl-C: running commands are killed. */
  signal: AbortSignal;
  marks: SudoMarks;
  /** About this invocation, for rolling runs (journal, resume, lock). */
  run?: RunInfo;
  /** prompt()/confirm() answers, shared by the whole run (see run/prompts.ts). */
  prompts?: Prompts;
  /** --pty: every remote command gets a pseudo-terminal unless its own options say otherwise. */
  pty?: boolean;
}

export interface RunInfo {
  /** Project root: `.fab/runs/` lives here. */
  root: string;
  /** The command line, kept in the journal so `fab resume` can run it again. */
  argv: string[];
  /** `fab resume <id>`: continue that rolling run. */
  resume?: string;
  breakLock: boolean;
  interrupts: Interrupts;
}

export interface CommandRequest {
  host: string;
  requested: ShellCommand;
  executed: ShellCommand;
  sudo: boolean;
  local: boolean;
}

let nextId = 1;
/** Command ids are unique in the process: `$` (run/zx.ts) takes its ids from here too. */
export const newCommandId = (): number => nextId++;
const KILL_GRACE_MS = 3000;

/** Runs one command: streams whole lines as events, feeds sudo's password on its prompt, applies timeouts. */
export async function runCommand(
  transport: Transport,
  req: CommandRequest,
  opts: RunOptions & { warnOnly: boolean },
  cfg: RunConfig,
): Promise<RunResult> {
  const id = newCommandId();
  const { events } = cfg;
  // Secrets go on stdin, read first by the command (sudoWrap already put the reads inside the sudo shell).
  const command = withSecretInput(req.executed);
  const pty = !req.local && (opts.pty ?? cfg.pty ?? false);
  const bad = secretProblem(command, { pty });
  if (bad) throw new UsageError(bad.message, bad.fix);
  const secrets = secretStdin(command);
  for (const s of command.input) events.addSecret(s.reveal());
  const requested = events.mask(req.requested.display);
  const executed = events.mask(command.display);
  const dryRun = cfg.dryRun && !opts.probe;
  events.emit({
    type: 'command.start',
    host: req.host,
    id,
    requested,
    executed,
    sudo: req.sudo,
    local: req.local,
    ...(dryRun ? { dryRun } : {}),
  });
  if (dryRun) return new RunResult(req.host, requested, executed, '', '', 0, null, true);
  if (cfg.signal.aborted) throw new InterruptedError();

  const started = Date.now();
  // Shown output streams line by line; the result keeps at most outputLimit bytes of each stream.
  const limit = opts.outputLimit ?? DEFAULT_OUTPUT_LIMIT;
  const out = new BoundedBuffer(opts.discardStdout ? 0 : limit);
  const err = new BoundedLines(limit);
  const line = (stream: 'stdout' | 'stderr') => (text: string) => {
    if (stream === 'stderr') err.push(text);
    if (!opts.quiet) events.emit({ type: 'output', host: req.host, id, stream, line: text });
  };
  const stdoutLines = new LineSplitter(line('stdout'));
  const stderrLines = new LineSplitter(line('stderr'));
  const gate = req.sudo ? new SudoGate(cfg.marks, cfg.sudoPassword) : undefined;
  // Under a pty everything (sudo's prompt and start marker too) arrives as stdout, so the gate reads stdout.
  const stdout = (chunk: Buffer): void => {
    out.push(chunk);
    stdoutLines.push(chunk);
  };
  const gated = (chunk: Buffer, pass: (c: Buffer) => void): void =>
    gate && !gate.opened ? gate.push(chunk.toString('utf8')) : pass(chunk);

  // Once killed (timeout, Ctrl-C, sudo failure), wait a little for the exit status, but never hang on a host that does not answer.
  let giveUp!: (r: ExecResult) => void;
  const gaveUp = new Promise<ExecResult>((resolve) => (giveUp = resolve));
  const proc = await transport.exec(command.text, {
    onStdout: (chunk) => (pty ? gated(chunk, stdout) : stdout(chunk)),
    onStderr: (chunk) => gated(chunk, (c) => stderrLines.push(c)),
    ...(pty ? { pty } : {}),
  });
  const stop = (): void => {
    proc.kill();
    setTimeout(() => giveUp({ code: null, signal: 'TERM' }), KILL_GRACE_MS).unref();
  };
  const sendInput = (): void => {
    if (secrets) proc.write(secrets);
    const input = opts.stdin;
    if (input instanceof Promise) {
      const write = (d: string | Buffer | undefined) => d !== undefined && proc.write(d);
      void input.then(write, () => undefined).finally(() => proc.end());
      return;
    }
    if (input !== undefined) proc.write(input);
    proc.end();
  };
  if (gate) {
    gate.attach({
      write: (data) => proc.write(data),
      stop,
      open: (before, rest) => {
        // A bare newline is sudo ending its prompt line (it prints one after a password read without echo).
        if (before.trim()) stderrLines.push(before);
        sendInput();
        if (rest && pty) stdout(Buffer.from(rest));
        else if (rest) stderrLines.push(rest);
      },
    });
  } else sendInput();

  let timedOut = false;
  const timeoutMs = opts.timeout ?? cfg.commandTimeoutMs;
  const timer = timeoutMs ? setTimeout(() => ((timedOut = true), stop()), timeoutMs) : undefined;
  cfg.signal.addEventListener('abort', stop);
  // Aborted while the command was starting (its channel opening): the listener came too late to hear it.
  if (cfg.signal.aborted) stop();
  let result;
  try {
    result = await Promise.race([proc.done, gaveUp]);
  } finally {
    clearTimeout(timer);
    cfg.signal.removeEventListener('abort', stop);
  }
  if (gate && !gate.opened) stderrLines.push(gate.leftover());
  stdoutLines.flush();
  stderrLines.flush();
  events.emit({
    type: 'command.end',
    host: req.host,
    id,
    code: result.code,
    signal: result.signal,
    ms: Date.now() - started,
  });

  if (cfg.signal.aborted) throw new InterruptedError();
  if (gate?.failure) throw new SudoError(req.host, requested, gate.failure);
  if (timedOut) throw new CommandTimeoutError(req.host, requested, timeoutMs!);
  const cut =
    (out.cut && !opts.discardStdout) || err.cut ? { stdout: out.dropped, stderr: err.dropped, limit } : undefined;
  const res = new RunResult(
    req.host,
    requested,
    executed,
    out.text(),
    err.text(),
    result.code,
    result.signal,
    false,
    cut,
  );
  if (cut) {
    const what = [out.cut && !opts.discardStdout ? `stdout ${out.dropped}` : '', err.cut ? `stderr ${err.dropped}` : '']
      .filter(Boolean)
      .join(', ');
    events.emit({
      type: 'message',
      host: req.host,
      level: 'warning',
      text: `output kept for the result was cut at ${limit} bytes (${what} bytes not kept): ${requested}; --set output_limit=BYTES keeps more`,
    });
  }
  if (!res.ok && !opts.nothrow && !opts.warnOnly) {
    throw new CommandError(req.host, requested, executed, res.code, events.mask(tail(res.stderr)), res.signal);
  }
  if (!res.ok && opts.warnOnly && !opts.nothrow) {
    events.emit({
      type: 'message',
      host: req.host,
      level: 'warning',
      text: `command failed (code ${res.code}), continuing (warn only): ${requested}`,
    });
  }
  return res;
}
