/**
 * zx's `$` for local steps, bound to the task: `await $\`git rev-parse HEAD\`` runs on the operator's
 * machine in the `lcd` directory, with FAB_HOST/FAB_HOST_ADDRESS and `withEnv` variables, and its
 * command and output go to the event stream as `local()`'s do. zx is loaded at the first `$`, never
 * at start-up (a synchronous require, so `$` returns zx's own ProcessPromise with all its methods).
 */
import { createRequire } from 'node:module';
import type * as ZxCore from 'zx/core';
import { Secret } from '../commands/quote.js';
import { secretProblem, secretReads, secretStdin } from '../commands/secret-input.js';
import { UsageError } from '../errors.js';
import { als, currentFrame, scopeFor, type Frame } from './als.js';
import { HostContext, runtimeOf } from './host-context.js';
import { scopeLcd } from './scope.js';
import { newCommandId } from './runner.js';
import { zxLog } from './zx-events.js';

export type ZxOptions = Partial<ZxCore.Options>;
export type ProcessPromise = ZxCore.ProcessPromise;
export type ProcessOutput = ZxCore.ProcessOutput;

/** `$\`cmd\`` runs a command; `$({ quiet: true })` gives a `$` with those zx options. */
export interface BoundShell {
  (pieces: TemplateStringsArray, ...args: unknown[]): ProcessPromise;
  (opts: ZxOptions): BoundShell;
}

let zx: typeof ZxCore | undefined;
const loadZx = (): typeof ZxCore => (zx ??= createRequire(import.meta.url)('zx/core') as typeof ZxCore);

/** The current task's host context: `$` needs the run's abort signal and timeout, which a Host does not show. */
function hostContext(frame: Frame): HostContext {
  if (!(frame.ctx instanceof HostContext))
    throw new UsageError('$ needs a task context', 'call it from inside a task(...) function');
  return frame.ctx;
}

/** The zx options a command gets from its task: cwd, env, abort signal, timeout, warnOnly, logging. */
export function zxOptionsFor(frame: Frame): ZxOptions {
  const { scope } = frame;
  const ctx = hostContext(frame);
  const { cfg } = runtimeOf(ctx);
  const warnOnly = scope.warnOnly || cfg.warnOnly;
  return {
    cwd: scope.localCwd ?? process.cwd(),
    env: { ...process.env, ...scope.env, FAB_HOST: ctx.host.name, FAB_HOST_ADDRESS: ctx.host.address },
    // verbose: zx reports everything to `log`, which sends it to fab's events instead of the terminal.
    verbose: true,
    quiet: false,
    nothrow: warnOnly,
    signal: cfg.signal,
    ...(cfg.commandTimeoutMs ? { timeout: `${cfg.commandTimeoutMs}ms` as const } : {}),
    log: zxLog({ events: ctx.events, host: ctx.host.name, warnOnly }),
  };
}

/**
 * A `secret()` never reaches a command line `ps` shows, nor the environment: as for run() it becomes
 * `"$FAB_SECRET_n"`, the command starts by reading it from its stdin (commands/secret-input.ts), and the value is
 * masked in every event (output that echoes it too). Other values are quoted by zx.
 */
function hideSecrets(core: typeof ZxCore, pieces: TemplateStringsArray, args: unknown[]) {
  const secrets = new Set<Secret>();
  const shown = (v: unknown): string => (v instanceof Secret ? '***' : core.quote(String(v)));
  const word = (v: unknown): string => (v instanceof Secret ? (secrets.add(v), `"$${v.name}"`) : core.quote(String(v)));
  const cooked = [pieces[0]!];
  let display = pieces[0]!;
  const kept: unknown[] = [];
  args.forEach((a, i) => {
    const list = Array.isArray(a) ? (a as unknown[]) : [a];
    display += list.map(shown).join(' ') + pieces[i + 1]!;
    if (!list.some((v) => v instanceof Secret)) {
      kept.push(a);
      cooked.push(pieces[i + 1]!);
    } else cooked[cooked.length - 1] += list.map(word).join(' ') + pieces[i + 1]!;
  });
  const input = [...secrets];
  if (input.length) cooked[0] = secretReads(input) + cooked[0]!;
  const template = Object.assign([...cooked], { raw: [...cooked] }) as unknown as TemplateStringsArray;
  return { pieces: template, args: kept, input, display };
}

/** The secrets' stdin lines go before the command's own input: in front of `input`, or first on its stdin pipe. */
function withSecretLines(opts: ZxOptions, shown: { input: Secret[]; display: string }): ZxOptions {
  if (!shown.input.length) return opts;
  const bad = secretProblem(shown, { pty: false });
  if (bad) throw new UsageError(bad.message, bad.fix);
  const lines = secretStdin(shown);
  const stdin = Array.isArray(opts.stdio) ? opts.stdio[0] : opts.stdio;
  const pipeless = stdin !== undefined && stdin !== 'pipe';
  const { input } = opts;
  if (!pipeless && input === undefined) return opts;
  if (!pipeless && (typeof input === 'string' || Buffer.isBuffer(input)))
    return { ...opts, input: Buffer.concat([Buffer.from(lines), Buffer.from(input)]) };
  const what = pipeless ? `"${String(stdin)}"` : 'a stream';
  throw new UsageError(
    `$\`${shown.display}\`: a secret() reaches the command on its stdin, which here is ${what}`,
    "pass the command's input as a string or Buffer (input: ...), or the value in a 0600 file",
  );
}

function command(frame: Frame, extra: ZxOptions, pieces: TemplateStringsArray, args: unknown[]): ProcessPromise {
  const core = loadZx();
  const hidden = hideSecrets(core, pieces, args);
  const opts = withSecretLines({ ...zxOptionsFor(frame), ...extra }, hidden);
  for (const s of hidden.input) frame.ctx.events.addSecret(s.reveal());
  if (!frame.ctx.dryRun) {
    const p = core.$(opts)(hidden.pieces, ...hidden.args);
    // zx spawns at once and leaves stdin open for the caller: the lines go first.
    if (hidden.input.length && opts.input === undefined) p.stdin.write(secretStdin(hidden));
    return p;
  }
  // --dry-run: show the command as `would local:` and run nothing (a no-op keeps zx's return type).
  const shown = core.$({ ...opts, halt: true })(hidden.pieces, ...hidden.args);
  const { events } = frame.ctx;
  const cmd = events.mask(shown.cmd);
  const host = frame.ctx.host.name;
  events.emit({
    type: 'command.start',
    host,
    id: newCommandId(),
    requested: cmd,
    executed: cmd,
    sudo: false,
    local: true,
    dryRun: true,
  });
  return core.$({ ...opts, log: () => {} })`:`;
}

/** The frame is looked up when a command runs, so `$({ quiet: true })` can be made once and used anywhere. */
function shell(extra: ZxOptions, frame: () => Frame): BoundShell {
  function bound(pieces: TemplateStringsArray, ...args: unknown[]): ProcessPromise;
  function bound(opts: ZxOptions): BoundShell;
  function bound(first: TemplateStringsArray | ZxOptions, ...args: unknown[]): ProcessPromise | BoundShell {
    if (Array.isArray(first) && 'raw' in first) return command(frame(), extra, first as TemplateStringsArray, args);
    return shell({ ...extra, ...(first as ZxOptions) }, frame);
  }
  return bound;
}

/** zx's `$`, bound to the current task and host (AsyncLocalStorage); outside a task it throws a UsageError. */
export const $: BoundShell = shell({}, currentFrame);

/** `ctx.$`: bound to that host's context (and its lcd/withEnv scope where it is the current one). */
export const shellFor = (ctx: HostContext): BoundShell => shell({}, () => ({ ctx, scope: scopeFor(ctx) }));

/** Fabric's `lcd`: `$` commands inside fn run in this local directory (relative paths join the outer one). */
export function lcd<T>(path: string, fn: () => T): T {
  const frame = currentFrame();
  return als.run({ ctx: frame.ctx, scope: scopeLcd(frame.scope, path) }, fn);
}
