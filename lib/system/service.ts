import { raw, sh, type ShellCommand } from '../commands/quote.js';
import { ServiceError } from '../errors.js';
import { systemdRunning } from '../commands/probes.js';
import { fact } from '../run/facts.js';
import type { Host } from '../run/host.js';

/**
 * Start/stop/status of a named service: systemd where the host runs it (/run/systemd/system exists),
 * otherwise commands from settings (`<name>Start`, `<name>Stop`, `<name>Status`) or its pid file
 * (`<name>PidFile`: status = that pid is alive, stop = TERM and wait until it is gone).
 */
export interface ServiceDef {
  name: string;
  start?: string;
  stop?: string;
  status?: string;
  pidFile?: string;
}

export type ServiceManager = 'systemd' | 'commands';

export function serviceDef(ctx: Host, name: string): ServiceDef {
  const s = ctx.settings;
  const opt = (k: string) => (s.has(`${name}${k}`) ? s.string(`${name}${k}`) : undefined);
  const start = opt('Start');
  const stop = opt('Stop');
  const status = opt('Status');
  const pidFile = opt('PidFile');
  return {
    name,
    ...(start ? { start } : {}),
    ...(stop ? { stop } : {}),
    ...(status ? { status } : {}),
    ...(pidFile ? { pidFile } : {}),
  };
}

/** A fact: asked once per host and run, however many start/stop/status steps a recipe takes. */
export async function serviceManager(ctx: Host): Promise<ServiceManager> {
  return (await fact(ctx, systemdRunning())) ? 'systemd' : 'commands';
}

/**
 * Shell: `alive PID`, true while the process runs. `kill -0` alone also succeeds on a zombie: a server started in the
 * background is an orphan, reaped by the host's init, which some inits (containers, sandboxes) do seconds later or
 * never (measured here: 1.1-1.8 s after mariadbd had exited). A zombie holds no files, ports or locks any more.
 * Builtins only (read, not ps or grep); without /proc it is `kill -0`.
 */
export const PID_ALIVE =
  'alive() { kill -0 "$1" 2>/dev/null || return 1; s=; read -r s <"/proc/$1/stat" 2>/dev/null || return 0; ' +
  's=${s##*) }; [ "${s%% *}" != Z ]; }';

/** Pure: the shell command for an action, or undefined when nothing is configured for it. */
export function serviceCommand(
  def: ServiceDef,
  action: 'start' | 'stop' | 'status',
  manager: ServiceManager,
): ShellCommand | undefined {
  if (manager === 'systemd')
    return action === 'status' ? sh`systemctl is-active --quiet ${def.name}` : sh`systemctl ${action} ${def.name}`;
  const given = def[action];
  if (given) return raw(given);
  if (!def.pidFile) return undefined;
  const pid = sh`${raw(PID_ALIVE)}; p=$(cat ${def.pidFile} 2>/dev/null) && [ -n "$p" ]`.text;
  if (action === 'status') return raw(`${pid} && alive "$p"`, `(is the pid in ${def.pidFile} alive?)`);
  if (action === 'stop') {
    // TERM, then wait up to 60 s for the process to go (a database flushing its buffers takes a while)
    const wait = 'i=0; while alive "$p"; do i=$((i+1)); [ $i -gt 600 ] && exit 1; sleep 0.1; done';
    return raw(
      `${pid} || exit 0; kill -TERM "$p" 2>/dev/null || exit 0; ${wait}`,
      `(stop the pid in ${def.pidFile} and wait until it is gone)`,
    );
  }
  return undefined;
}

function need(ctx: Host, def: ServiceDef, action: string, cmd: ShellCommand | undefined): ShellCommand {
  if (cmd) return cmd;
  const setting = `${def.name}${action[0]!.toUpperCase()}${action.slice(1)}`;
  throw new ServiceError(
    ctx.host.name,
    `service ${def.name}: no systemd here and no way to ${action} it; set ${setting}` +
      `${action === 'start' ? '' : ` or ${def.name}PidFile`} in the host settings`,
  );
}

export async function serviceStatus(ctx: Host, def: ServiceDef): Promise<boolean> {
  const cmd = need(ctx, def, 'status', serviceCommand(def, 'status', await serviceManager(ctx)));
  return (await ctx.unscoped(() => ctx.sudo(cmd).quiet().nothrow().probe())).ok;
}

export async function serviceStart(ctx: Host, def: ServiceDef): Promise<void> {
  const cmd = need(ctx, def, 'start', serviceCommand(def, 'start', await serviceManager(ctx)));
  await ctx.unscoped(() => ctx.sudo(cmd).quiet());
}

export async function serviceStop(ctx: Host, def: ServiceDef): Promise<void> {
  const cmd = need(ctx, def, 'stop', serviceCommand(def, 'stop', await serviceManager(ctx)));
  await ctx.unscoped(() => ctx.sudo(cmd).quiet());
}

export async function serviceRestart(ctx: Host, def: ServiceDef): Promise<void> {
  await serviceStop(ctx, def);
  await serviceStart(ctx, def);
}

/** Poll `ready` every 100 ms until it resolves true; the last error is in the timeout message. */
export async function waitUntil(
  ctx: Host,
  what: string,
  ready: () => Promise<boolean>,
  timeoutMs = 30_000,
): Promise<number> {
  if (ctx.dryRun) return 0;
  const t0 = Date.now();
  let last = '';
  for (;;) {
    try {
      if (await ready()) return Date.now() - t0;
    } catch (e) {
      last = (e as Error).message.split('\n')[0] ?? '';
    }
    if (Date.now() - t0 > timeoutMs)
      throw new ServiceError(
        ctx.host.name,
        `${what}: not ready after ${timeoutMs / 1000}s${last ? ` (last: ${last})` : ''}`,
      );
    await new Promise((r) => setTimeout(r, 100));
  }
}
