import {
  adminSocketBatch,
  adminSocketCommand,
  drainThenMaint,
  setServerState,
  SHOW_STAT,
  splitBatch,
} from '../commands/haproxy-socket.js';
import { CommandError, FileEditError, HaproxyError } from '../errors.js';
import type { AfterResult } from '../files/edit-commit.js';
import { editFile, type EditResult } from '../files/edit.js';
import { raw } from '../commands/quote.js';
import type { Host } from '../run/host.js';
import { HaproxyConfError, lastServerRefusal, parseStat, setServerDisabled, type StatRow } from './haproxy-conf.js';

export interface HaproxySettings {
  socket: string;
  conf: string;
  backend: string;
  validate: string;
  drainTimeoutMs: number;
}

export function haproxySettings(ctx: Host): HaproxySettings {
  const s = ctx.settings;
  return {
    socket: s.string('haproxySocket', '/run/haproxy/admin.sock'),
    conf: s.string('haproxyConf', '/etc/haproxy/haproxy.cfg'),
    backend: s.string('haproxyBackend', 'app'),
    validate: s.string('haproxyValidate', 'haproxy -c -q -f %s'),
    drainTimeoutMs: s.number('haproxyDrainTimeout', 60) * 1000,
  };
}

/** One command on the admin socket (as root: the socket is root's). `probe` for read-only commands. */
export async function haproxyAdmin(ctx: Host, s: HaproxySettings, command: string, probe = false): Promise<string> {
  const c = ctx.sudo(adminSocketCommand(s.socket, command)).quiet();
  const out = (await (probe ? c.probe() : c)).stdout;
  const answer = out.trim();
  if (!probe) refusedUnlessEmpty(ctx, command, answer);
  return out;
}

// The socket answers an empty line on success, a message otherwise.
function refusedUnlessEmpty(ctx: Host, command: string, answer: string): void {
  if (answer !== '' && !ctx.dryRun)
    throw new HaproxyError(ctx.host.name, 'refused', `haproxy refused "${command}": ${answer}`);
}

/** Set a server's state and read `show stat` right after, in one command (one round trip). */
async function setStateThenStat(ctx: Host, s: HaproxySettings, command: string): Promise<StatRow[] | undefined> {
  const out = (await ctx.sudo(adminSocketBatch(s.socket, [command, SHOW_STAT])).quiet()).stdout;
  const [answer = '', stat] = splitBatch(out);
  refusedUnlessEmpty(ctx, command, answer.trim());
  return stat === undefined ? undefined : parseStat(stat);
}

export async function haproxyStatus(ctx: Host, s: HaproxySettings = haproxySettings(ctx)): Promise<StatRow[]> {
  return parseStat(await haproxyAdmin(ctx, s, SHOW_STAT, true));
}

/**
 * Take a server out of the backend: persist `disabled` in the config (validated), set it to drain,
 * wait for its current sessions to end, then maint. Putting it back: remove `disabled`, set ready.
 * One command (one sudo) when it changes: a script that reads `show stat` and the conf, waits for the new conf,
 * replaces it and says the new state on the socket (with the first poll, maint at once when idle).
 */
export async function setHaproxyServer(
  ctx: Host,
  server: string,
  enabled: boolean,
  force = false,
): Promise<EditResult> {
  const s = haproxySettings(ctx);
  // `show stat` runs first in the commit script, with the conf read; a refusal here sends it nothing.
  const check = (stat: string) => {
    const rows = parseStat(stat).filter((r) => r.backend === s.backend);
    if (!rows.some((r) => r.server === server))
      throw new HaproxyError(
        ctx.host.name,
        'unknown-server',
        `haproxy backend ${s.backend} has no server "${server}" (servers: ${rows.map((r) => r.server).join(', ') || 'none'}); nothing changed`,
      );
    // Only servers UP and enabled count: one DOWN by its health check serves nothing either.
    const refusal = enabled || force ? undefined : lastServerRefusal(rows, s.backend, server);
    if (refusal) throw new HaproxyError(ctx.host.name, 'last-server', refusal);
  };
  const stat = adminSocketCommand(s.socket, SHOW_STAT);
  const prelude = raw(`${stat.text} || exit $?`, stat.display);
  const say = enabled
    ? adminSocketCommand(s.socket, setServerState(s.backend, server, 'ready'))
    : raw(
        drainThenMaint(s.socket, s.backend, server),
        `(haproxy ${s.socket}: ${setServerState(s.backend, server, 'drain')}; ${SHOW_STAT}; maint when idle)`,
      );
  let edit: EditResult;
  try {
    edit = await editFile(
      ctx,
      s.conf,
      (text) => {
        const r = setServerDisabled(text, s.backend, server, !enabled);
        return { text: r.text, matched: r.matched.length, lines: r.matched };
      },
      {
        sudo: true,
        backup: '.fab-bak',
        validate: s.validate,
        pipeline: { prelude, check },
        after: () => ({ script: say.text, label: say.display }),
      },
    );
  } catch (err) {
    if (err instanceof HaproxyConfError)
      throw new FileEditError(ctx.host.name, s.conf, `${err.message}; nothing changed`);
    throw err;
  }
  // Unchanged (already so) or a dry run: the socket commands on their own, as the state may differ from the conf.
  if (edit.after) {
    if (edit.after.code !== 0)
      throw new CommandError(ctx.host.name, say.display, say.display, edit.after.code, edit.after.stderr.trim());
    if (!enabled) await afterDrain(ctx, s, server, edit.after);
    else refusedUnlessEmpty(ctx, setServerState(s.backend, server, 'ready'), edit.after.stdout.trim());
    return edit;
  }
  if (enabled) {
    await haproxyAdmin(ctx, s, setServerState(s.backend, server, 'ready'));
    return edit;
  }
  // The first poll of the drain goes with the drain itself.
  const first = await setStateThenStat(ctx, s, setServerState(s.backend, server, 'drain'));
  const started = Date.now();
  if (!ctx.dryRun) await waitDrained(ctx, s, server, first);
  if (!ctx.dryRun) ctx.events.emit({ type: 'lb.wait', host: ctx.host.name, lb: 'haproxy', ms: Date.now() - started });
  await haproxyAdmin(ctx, s, setServerState(s.backend, server, 'maint'));
  return edit;
}

/** What the drain script said: refused, drained (maint already set), or sessions left to wait for. */
async function afterDrain(ctx: Host, s: HaproxySettings, server: string, r: AfterResult): Promise<void> {
  const [answer = '', stat, maint] = splitBatch(r.stdout);
  refusedUnlessEmpty(ctx, setServerState(s.backend, server, 'drain'), answer.trim());
  if (maint !== undefined) return refusedUnlessEmpty(ctx, setServerState(s.backend, server, 'maint'), maint.trim());
  const started = Date.now();
  await waitDrained(ctx, s, server, stat === undefined ? undefined : parseStat(stat));
  ctx.events.emit({ type: 'lb.wait', host: ctx.host.name, lb: 'haproxy', ms: Date.now() - started });
  await haproxyAdmin(ctx, s, setServerState(s.backend, server, 'maint'));
}

async function waitDrained(ctx: Host, s: HaproxySettings, server: string, first?: StatRow[]): Promise<void> {
  const deadline = Date.now() + s.drainTimeoutMs;
  for (let round = 0; ; round++) {
    const rows = round === 0 && first ? first : await haproxyStatus(ctx, s);
    const row = rows.find((r) => r.backend === s.backend && r.server === server);
    if (!row || row.scur === 0) return;
    if (Date.now() > deadline)
      throw new HaproxyError(
        ctx.host.name,
        'drain-timeout',
        `${s.backend}/${server} still has ${row.scur} session(s) after ${s.drainTimeoutMs / 1000}s of draining; it stays in drain`,
      );
    if (round % 8 === 0) ctx.log(`waiting for ${row.scur} session(s) on ${s.backend}/${server} to end`);
    await new Promise((r) => setTimeout(r, 250));
  }
}
