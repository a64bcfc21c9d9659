/**
 * zx's `$` for local steps, bound to the task: `await $\`git rev-parse HEAD\`` runs on the operator's
 * machine in the `lcd` directory, with FAB_HOST/FAB_HOST_ADDRESS and `withEnv` variables, and its
 * command and output go to the event stream as `local()`'s do. zx is loaded at the first `$`, never
 * at start-up (a synchronous require, so `$` returns zx's own ProcessPromise with all its methods).
 */
import { createRequire } from 'node:module';
import type * as ZxCore from 'zx/core';
import { Secret } from '../commands/quote.js';
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

let secretCount = 0;

/**
 * A `secret()` never reaches a command line `ps` shows: it becomes `"$FAB_SECRET_n"` in the command and
 * its value goes in the environment; the value is masked in every event (output that echoes it too).
 */
function hideSecrets(core: typeof ZxCore, frame: Frame, pieces: TemplateStringsArray, args: unknown[]) {
  const env: Record<string, string> = {};
  const word = (v: unknown): string | undefined => {
    if (!(v instanceof Secret)) return undefined;
    const name = `FAB_SECRET_${++secretCount}`;
    env[name] = v.reveal();
    frame.ctx.events.addSecret(v.reveal());
    return `"$${name}"`;
  };
  const cooked = [pieces[0]!];
  const kept: unknown[] = [];
  args.forEach((a, i) => {
    const list = Array.isArray(a) ? (a as unknown[]) : [a];
    const inline = list.some((v) => v instanceof Secret)
      ? list.map((v) => word(v) ?? core.quote(String(v))).join(' ')
      : undefined;
    if (inline === undefined) {
      kept.push(a);
      cooked.push(pieces[i + 1]!);
    } else cooked[cooked.length - 1] += inline + pieces[i + 1]!;
  });
  const template = Object.assign([...cooked], { raw: [...cooked] }) as unknown as TemplateStringsArray;
  return { pieces: template, args: kept, env };
}

function command(frame: Frame, extra: ZxOptions, pieces: TemplateStringsArray, args: unknown[]): ProcessPromise {
  const core = loadZx();
  const base = { ...zxOptionsFor(frame), ...extra };
  const hidden = hideSecrets(core, frame, pieces, args);
  const opts = { ...base, env: { ...base.env, ...hidden.env } };
  if (!frame.ctx.dryRun) return core.$(opts)(hidden.pieces, ...hidden.args);
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
