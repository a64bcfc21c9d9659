import {
  adminSocketBatch,
  adminSocketCommand,
  setServerState,
  SHOW_STAT,
  splitBatch,
} from '../commands/haproxy-socket.js';
import { FileEditError, HaproxyError } from '../errors.js';
import { editFile, type EditResult } from '../files/edit.js';
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
 */
export async function setHaproxyServer(
  ctx: Host,
  server: string,
  enabled: boolean,
  force = false,
): Promise<EditResult> {
  const s = haproxySettings(ctx);
  const rows = (await haproxyStatus(ctx, s)).filter((r) => r.backend === s.backend);
  const row = rows.find((r) => r.server === server);
  if (!row)
    throw new HaproxyError(
      ctx.host.name,
      'unknown-server',
      `haproxy backend ${s.backend} has no server "${server}" (servers: ${rows.map((r) => r.server).join(', ') || 'none'}); nothing changed`,
    );
  // Only servers UP and enabled count: one DOWN by its health check serves nothing either.
  const refusal = enabled || force ? undefined : lastServerRefusal(rows, s.backend, server);
  if (refusal) throw new HaproxyError(ctx.host.name, 'last-server', refusal);
  let edit: EditResult;
  try {
    edit = await editFile(
      ctx,
      s.conf,
      (text) => {
        const r = setServerDisabled(text, s.backend, server, !enabled);
        return { text: r.text, matched: r.matched.length, lines: r.matched };
      },
      { sudo: true, backup: '.fab-bak', validate: s.validate },
    );
  } catch (err) {
    if (err instanceof HaproxyConfError)
      throw new FileEditError(ctx.host.name, s.conf, `${err.message}; nothing changed`);
    throw err;
  }
  if (enabled) {
    await haproxyAdmin(ctx, s, setServerState(s.backend, server, 'ready'));
    return edit;
  }
  // The first poll of the drain goes with the drain itself.
  const first = await setStateThenStat(ctx, s, setServerState(s.backend, server, 'drain'));
  if (!ctx.dryRun) await waitDrained(ctx, s, server, first);
  await haproxyAdmin(ctx, s, setServerState(s.backend, server, 'maint'));
  return edit;
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
