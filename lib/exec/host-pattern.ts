/**
 * Host names on the command line: globs (`*`, `?`) match names of the selected host sets; every other
 * character is literal. A raw host is `[user@]host[:port]`, IPv6 in brackets: `deploy@[::1]:2222`.
 */
import { UsageError } from '../errors.js';

export const isGlob = (s: string): boolean => /[*?]/.test(s);

export function globRe(glob: string): RegExp {
  const body = [...glob]
    .map((ch) => (ch === '*' ? '.*' : ch === '?' ? '.' : ch.replace(/[.*+?^${}()|[\]\\/-]/g, '\\$&')))
    .join('');
  return new RegExp(`^${body}$`);
}

const FIX = 'write user@host:port, with IPv6 in brackets: user@[2001:db8::1]:22';

/** `[user@]host[:port]` checked and split; a usage error names what is wrong. */
export function parseHostSpec(spec: string): { user?: string; host: string; port?: number } {
  let rest = spec;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at !== -1) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
    if (!user) throw new UsageError(`host "${spec}": empty user before @`, FIX);
  }
  let host = rest;
  let portText: string | undefined;
  if (rest.startsWith('[')) {
    const m = /^\[([^[\]]+)\](?::(.*))?$/.exec(rest);
    if (!m) throw new UsageError(`host "${spec}": unbalanced or misplaced brackets`, FIX);
    host = m[1]!;
    portText = m[2];
  } else if (/[[\]]/.test(rest)) {
    throw new UsageError(`host "${spec}": brackets belong only around an IPv6 address`, FIX);
  } else {
    const colons = rest.split(':').length - 1;
    if (colons > 1) throw new UsageError(`host "${spec}": an IPv6 address needs brackets`, FIX);
    if (colons === 1) [host, portText] = rest.split(':') as [string, string];
  }
  if (!host) throw new UsageError(`host "${spec}": no host name`, FIX);
  if (portText === undefined) return { host, ...(user ? { user } : {}) };
  const port = /^\d+$/.test(portText) ? Number(portText) : NaN;
  if (!(port >= 1 && port <= 65535))
    throw new UsageError(
      `host "${spec}": port "${portText}" is not a port number`,
      'use a port from 1 to 65535, e.g. web1:2222',
    );
  return { host, port, ...(user ? { user } : {}) };
}
