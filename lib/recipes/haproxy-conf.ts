/** HAProxy's `show stat` CSV and its config file, read and edited as text (pure). */

export interface StatRow {
  backend: string;
  server: string;
  status: string;
  /** Current sessions. */
  scur: number;
  weight: number;
}

export function parseStat(csv: string): StatRow[] {
  const lines = csv.split('\n').filter((l) => l.trim() !== '');
  const header = lines.shift()?.replace(/^#\s*/, '').split(',') ?? [];
  const col = (name: string) => header.indexOf(name);
  const [px, sv, scur, status, weight] = ['pxname', 'svname', 'scur', 'status', 'weight'].map(col);
  if ([px, sv, scur, status].some((i) => i === undefined || i < 0))
    throw new Error(`not a "show stat" answer: ${csv.slice(0, 200)}`);
  return lines
    .map((l) => l.split(','))
    .filter((f) => f[sv!] !== 'FRONTEND' && f[sv!] !== 'BACKEND')
    .map((f) => ({
      backend: f[px!]!,
      server: f[sv!]!,
      status: f[status!]!,
      scur: Number(f[scur!]),
      weight: Number(f[weight!] ?? 0),
    }));
}

/** Taken out by an operator (MAINT or DRAIN), as opposed to ready (UP, or DOWN by its health check). */
export const adminDisabled = (row: StatRow): boolean => /^(MAINT|DRAIN)/.test(row.status);

/**
 * Takes new requests now: UP (also `UP 1/3`, still up while its checks start failing) or `no check`
 * (no health check, so HAProxy treats it as up). DOWN, NOLB, MAINT and DRAIN servers take none.
 */
export const serving = (row: StatRow): boolean => /^UP\b/.test(row.status) || row.status === 'no check';

/**
 * Why taking `server` out of `backend` would leave it serving nothing (an outage), or undefined when
 * another server of the backend is UP and enabled. A server DOWN by its health check does not count.
 */
export function lastServerRefusal(rows: readonly StatRow[], backend: string, server: string): string | undefined {
  const others = rows.filter((r) => r.backend === backend && r.server !== server);
  if (others.some(serving)) return undefined;
  const states = others.map((r) => `${r.server} ${r.status}`).join(', ') || 'none';
  return (
    `disabling "${server}" would leave backend ${backend} with no enabled server (an outage); ` +
    `pass --force to do it anyway (the other servers: ${states})`
  );
}

const SECTION =
  /^(global|defaults|frontend|backend|listen|peers|resolvers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/;

export class HaproxyConfError extends Error {}

/**
 * Add or remove the `disabled` keyword on `server NAME` in the backend (or listen) section, so a
 * reload keeps the state set over the admin socket. Idempotent.
 */
export function setServerDisabled(
  conf: string,
  backend: string,
  server: string,
  disabled: boolean,
): { text: string; matched: { n: number; text: string }[] } {
  let section: string | undefined;
  const matched: { n: number; text: string }[] = [];
  const lines = conf.split('\n').map((line, i) => {
    const sec = SECTION.exec(line);
    if (sec) section = sec[1] === 'backend' || sec[1] === 'listen' ? sec[2] : undefined;
    const srv = /^(\s*server\s+)(\S+)(\s.*)?$/.exec(line);
    if (section !== backend || !srv || srv[2] !== server) return line;
    matched.push({ n: i + 1, text: line });
    const rest = (srv[3] ?? '').replace(/\s+disabled(?=\s|$)/g, '');
    return `${srv[1]}${srv[2]}${rest}${disabled ? ' disabled' : ''}`;
  });
  if (!matched.length) throw new HaproxyConfError(`no "server ${server}" line in backend ${backend} of the config`);
  return { text: lines.join('\n'), matched };
}
