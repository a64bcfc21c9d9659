import type { Secret, ShellCommand } from '../commands/quote.js';
import { CommandError, CommandTimeoutError, InterruptedError, SudoError, tail } from '../errors.js';
import { LineSplitter, type EventBus } from '../report/events.js';
import type { ExecResult, Transport } from '../transport/types.js';
import { RunResult, type RunOptions } from './result.js';
import type { SudoMarks } from './scope.js';

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
}

export interface CommandRequest {
  host: string;
  requested: ShellCommand;
  executed: ShellCommand;
  sudo: boolean;
  local: boolean;
}

let nextId = 1;
const KILL_GRACE_MS = 3000;

/** Runs one command: streams whole lines as events, feeds sudo's password on its prompt, applies timeouts. */
export async function runCommand(transport: Transport, req: CommandRequest, opts: RunOptions & { warnOnly: boolean }, cfg: RunConfig): Promise<RunResult> {
  const id = nextId++;
  const { events } = cfg;
  const requested = events.mask(req.requested.display);
  const executed = events.mask(req.executed.display);
  const dryRun = cfg.dryRun && !opts.probe;
  events.emit({ type: 'command.start', host: req.host, id, requested, executed, sudo: req.sudo, local: req.local, ...(dryRun ? { dryRun } : {}) });
  if (dryRun) return new RunResult(req.host, requested, executed, '', '', 0, null, true);
  if (cfg.signal.aborted) throw new InterruptedError();

  const started = Date.now();
  const out: Buffer[] = [];
  const err: string[] = [];
  const line = (stream: 'stdout' | 'stderr') => (text: string) => {
    if (stream === 'stderr') err.push(text);
    if (!opts.quiet) events.emit({ type: 'output', host: req.host, id, stream, line: text });
  };
  const stdoutLines = new LineSplitter(line('stdout'));
  const stderrLines = new LineSplitter(line('stderr'));
  let sudoFailure: string | undefined;
  let opened = !req.sudo;
  let pending = '';
  let passwordSent = false;

  // Once killed (timeout, Ctrl-C, sudo failure), wait a little for the exit status, but never hang on a host that does not answer.
  let giveUp!: (r: ExecResult) => void;
  const gaveUp = new Promise<ExecResult>((resolve) => (giveUp = resolve));
  function stop(): void {
    proc.kill();
    setTimeout(() => giveUp({ code: null, signal: 'TERM' }), KILL_GRACE_MS).unref();
  }

  const proc = await transport.exec(req.executed.text, {
    onStdout: (chunk) => {
      out.push(chunk);
      stdoutLines.push(chunk);
    },
    onStderr: (chunk) => {
      if (opened) return stderrLines.push(chunk);
      pending += chunk.toString('utf8');
      sudoGate();
    },
  });

  const sendInput = () => {
    if (opts.stdin !== undefined) proc.write(opts.stdin);
    proc.end();
  };
  // Until sudo has finished asking, stderr belongs to sudo: answer its prompt once, refuse a second one.
  function sudoGate(): void {
    const startAt = pending.indexOf(`${cfg.marks.start}\n`);
    const before = startAt === -1 ? pending : pending.slice(0, startAt);
    if (before.includes(cfg.marks.prompt)) {
      pending = pending.replace(cfg.marks.prompt, '');
      if (!cfg.sudoPassword) sudoFailure = 'a password is required and none was given (set FAB_SUDO_PASSWORD, or run fab with --sudo-password on a terminal)';
      else if (passwordSent) sudoFailure = 'the sudo password was rejected';
      if (sudoFailure) return stop();
      passwordSent = true;
      proc.write(`${cfg.sudoPassword!.reveal()}\n`);
      return sudoGate();
    }
    if (startAt === -1) return;
    opened = true;
    const rest = pending.slice(startAt + cfg.marks.start.length + 1);
    if (before) stderrLines.push(before);
    pending = '';
    sendInput();
    if (rest) stderrLines.push(rest);
  }
  if (opened) sendInput();

  let timedOut = false;
  const timeoutMs = opts.timeout ?? cfg.commandTimeoutMs;
  const timer = timeoutMs ? setTimeout(() => ((timedOut = true), stop()), timeoutMs) : undefined;
  cfg.signal.addEventListener('abort', stop);
  let result;
  try {
    result = await Promise.race([proc.done, gaveUp]);
  } finally {
    clearTimeout(timer);
    cfg.signal.removeEventListener('abort', stop);
  }
  if (!opened && pending) stderrLines.push(pending.split(cfg.marks.prompt).join(''));
  stdoutLines.flush();
  stderrLines.flush();
  events.emit({ type: 'command.end', host: req.host, id, code: result.code, signal: result.signal, ms: Date.now() - started });

  if (cfg.signal.aborted) throw new InterruptedError();
  if (sudoFailure) throw new SudoError(req.host, requested, sudoFailure);
  if (timedOut) throw new CommandTimeoutError(req.host, requested, timeoutMs!);
  const stderr = err.length ? `${err.join('\n')}\n` : '';
  const res = new RunResult(req.host, requested, executed, Buffer.concat(out).toString('utf8'), stderr, result.code, result.signal);
  if (!res.ok && !opts.nothrow && !opts.warnOnly) {
    throw new CommandError(req.host, requested, executed, res.code, events.mask(tail(res.stderr)), res.signal);
  }
  if (!res.ok && opts.warnOnly && !opts.nothrow) {
    events.emit({ type: 'message', host: req.host, level: 'warning', text: `command failed (code ${res.code}), continuing (warn only): ${requested}` });
  }
  return res;
}
