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
  if ([px, sv, scur, status].some((i) => i === undefined || i < 0)) throw new Error(`not a "show stat" answer: ${csv.slice(0, 200)}`);
  return lines
    .map((l) => l.split(','))
    .filter((f) => f[sv!] !== 'FRONTEND' && f[sv!] !== 'BACKEND')
    .map((f) => ({ backend: f[px!]!, server: f[sv!]!, status: f[status!]!, scur: Number(f[scur!]), weight: Number(f[weight!] ?? 0) }));
}

/** Taken out by an operator (MAINT or DRAIN), as opposed to ready (UP, or DOWN by its health check). */
export const adminDisabled = (row: StatRow): boolean => /^(MAINT|DRAIN)/.test(row.status);

const SECTION = /^(global|defaults|frontend|backend|listen|peers|resolvers|userlist|program|http-errors|ring|cache|mailers)\b\s*(\S*)/;

export class HaproxyConfError extends Error {}

/**
 * Add or remove the `disabled` keyword on `server NAME` in the backend (or listen) section, so a
 * reload keeps the state set over the admin socket. Idempotent.
 */
export function setServerDisabled(conf: string, backend: string, server: string, disabled: boolean): { text: string; matched: { n: number; text: string }[] } {
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
