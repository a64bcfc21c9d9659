import { connect } from 'node:net';
import type { ShellCommand } from '../commands/quote.js';
import { CommandTimeoutError, GateError } from '../errors.js';
import type { Host } from '../run/host.js';
import { toMs } from '../run/result.js';
import { httpGet } from './http-get.js';

export { GateError };

/**
 * Health gates: a check plus how to retry it. A gate passes after `rise` consecutive successes,
 * trying every `interval`, and fails when `timeout` runs out first. Usable in any task:
 * `await waitFor(ctx, http('http://{address}:8080/health'))`.
 */

export interface GateResult {
  ok: boolean;
  detail: string;
}

export interface Gate {
  name: string;
  /** The name with this host's values filled in ({address}, settings), for messages. */
  label?(ctx: Host): string;
  /** `budgetMs`: what is left of the gate's timeout; a check should not take much longer (http and tcp have
   * their own per-try timeouts; a command is stopped at the budget). */
  check(ctx: Host, budgetMs?: number): Promise<GateResult>;
  rise: number;
  intervalMs: number;
  timeoutMs: number;
}

export interface GateTiming {
  rise?: number;
  interval?: number | string;
  timeout?: number | string;
}

function timing(t: GateTiming): Pick<Gate, 'rise' | 'intervalMs' | 'timeoutMs'> {
  return { rise: t.rise ?? 1, intervalMs: toMs(t.interval ?? '500ms'), timeoutMs: toMs(t.timeout ?? '30s') };
}

/** `{name}`, `{address}` and settings (`{appPort}`) in a URL or address are filled in per host. */
export function forHost(template: string, ctx: Host): string {
  return template.replace(/\{(\w+)\}/g, (m, key: string) => {
    if (key === 'name' || key === 'host') return ctx.host.name;
    if (key === 'address') return ctx.host.address;
    return ctx.settings.has(key) ? ctx.settings.string(key) : m;
  });
}

export interface HttpGateOptions extends GateTiming {
  status?: number;
  /** The body must contain this text (or match this RegExp). */
  body?: string | RegExp;
  /** Per request. */
  requestTimeout?: number | string;
}

export function http(url: string, opts: HttpGateOptions = {}): Gate {
  const want = opts.status ?? 200;
  const perRequest = toMs(opts.requestTimeout ?? '2s');
  return {
    name: `http ${url}`,
    label: (ctx) => `http ${forHost(url, ctx)}`,
    ...timing(opts),
    async check(ctx) {
      const u = forHost(url, ctx);
      try {
        const res = await httpGet(u, perRequest);
        if (res.status !== want) return { ok: false, detail: `${u} answered ${res.status}, not ${want}` };
        const bodyOk =
          opts.body === undefined ||
          (typeof opts.body === 'string' ? res.body.includes(opts.body) : opts.body.test(res.body));
        return bodyOk
          ? { ok: true, detail: `${u} answered ${res.status}` }
          : { ok: false, detail: `${u} body does not match ${String(opts.body)}: ${res.body.slice(0, 120)}` };
      } catch (err) {
        return { ok: false, detail: `${u}: ${(err as Error).message}` };
      }
    },
  };
}

export function tcp(address: string, port: number, opts: GateTiming & { connectTimeout?: number | string } = {}): Gate {
  const perTry = toMs(opts.connectTimeout ?? '2s');
  return {
    name: `tcp ${address}:${port}`,
    label: (ctx) => `tcp ${forHost(address, ctx)}:${port}`,
    ...timing(opts),
    check: (ctx) =>
      new Promise((resolve) => {
        const host = forHost(address, ctx);
        const sock = connect({ host, port, timeout: perTry });
        const done = (r: GateResult) => {
          sock.destroy();
          resolve(r);
        };
        sock.on('connect', () => done({ ok: true, detail: `${host}:${port} accepts connections` }));
        sock.on('timeout', () => done({ ok: false, detail: `${host}:${port}: no answer within ${perTry} ms` }));
        sock.on('error', (e) => done({ ok: false, detail: `${host}:${port}: ${e.message}` }));
      }),
  };
}

const MIN_COMMAND_CHECK_MS = 1000;

function commandGate(where: 'command' | 'local', cmd: string | ShellCommand, opts: GateTiming): Gate {
  return {
    name: `${where} ${typeof cmd === 'string' ? cmd : cmd.display}`,
    ...timing(opts),
    async check(ctx, budgetMs) {
      // A check that hangs must not hold the gate past its timeout: it is stopped (signalled) at the budget,
      // but given at least a second, so a last attempt just before the deadline can still pass.
      const wait = Math.max(MIN_COMMAND_CHECK_MS, Math.round(budgetMs ?? this.timeoutMs));
      try {
        const r = await (where === 'local' ? ctx.local(cmd) : ctx.run(cmd)).quiet().nothrow().probe().timeout(wait);
        return {
          ok: r.ok,
          detail: r.ok
            ? 'exit 0'
            : `exit ${r.code}: ${(r.stderr || r.stdout).trim().split('\n').slice(-2).join(' / ')}`,
        };
      } catch (err) {
        if (err instanceof CommandTimeoutError) return { ok: false, detail: `no answer within ${wait} ms (stopped)` };
        throw err;
      }
    },
  };
}

/** A command on the host; exit 0 passes. */
export const command = (cmd: string | ShellCommand, opts: GateTiming = {}): Gate => commandGate('command', cmd, opts);

/** A command on the operator's machine (a test battery), with FAB_HOST and FAB_HOST_ADDRESS set. */
export const local = (cmd: string | ShellCommand, opts: GateTiming = {}): Gate => commandGate('local', cmd, opts);

export type GateProgress = (gate: Gate, attempt: number, result: GateResult) => void;

/** Retry one gate until `rise` consecutive passes, or throw a GateError with the last failure. */
export async function waitFor(ctx: Host, gate: Gate, onAttempt?: GateProgress, signal?: AbortSignal): Promise<void> {
  const deadline = Date.now() + gate.timeoutMs;
  let streak = 0;
  let last = 'none (it passed, but not enough times in a row)';
  const name = gate.label?.(ctx) ?? gate.name;
  for (let attempt = 1; ; attempt++) {
    const r = await gate.check(ctx, Math.max(1, deadline - Date.now()));
    onAttempt?.(gate, attempt, r);
    if (!r.ok) last = r.detail;
    streak = r.ok ? streak + 1 : 0;
    if (streak >= gate.rise) return;
    if (Date.now() + gate.intervalMs > deadline || signal?.aborted)
      throw new GateError(name, ctx.host.name, attempt, last);
    await new Promise((res) => setTimeout(res, gate.intervalMs));
  }
}
