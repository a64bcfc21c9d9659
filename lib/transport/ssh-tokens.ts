import { createHash } from 'node:crypto';
import { homedir, hostname, userInfo } from 'node:os';

/** What ssh_config's %-tokens stand for, resolved for one connection (ssh_config(5) TOKENS). */
export interface TokenValues {
  /** %h: the remote host name, after HostName */
  host: string;
  /** %n: the name as given (the alias) */
  alias: string;
  /** %p */
  port: number;
  /** %r: the remote login user */
  user: string;
  /** %j: ProxyJump, or '' */
  jump?: string;
}

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}/${path.slice(2)}` : path;
}

/** The local user name, as %u and ssh's default login user. */
export function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return process.env.USER ?? '';
  }
}

/** The tokens each option accepts (ssh_config(5), OpenSSH 9.2); the rest take them all. */
const ALLOWED: Record<string, string> = { ProxyCommand: '%hnpr' };

/**
 * Expands %h %n %p %r %u %d %i %l %L %j %C %% as OpenSSH does; a token the option does not accept is
 * an error there, so it is one here (naming the option), rather than a literal `%x` passed on.
 */
export function expandTokens(value: string, t: TokenValues, option: string): string {
  const allowed = ALLOWED[option];
  const local = hostname();
  const table: Record<string, () => string> = {
    h: () => t.host,
    n: () => t.alias,
    p: () => String(t.port),
    r: () => t.user,
    u: () => localUser(),
    d: () => homedir(),
    i: () => String(process.getuid?.() ?? ''),
    l: () => local,
    L: () => local.split('.')[0] ?? local,
    j: () => t.jump ?? '',
    C: () =>
      createHash('sha1')
        .update(`${local}${t.host}${t.port}${t.user}${t.jump ?? ''}`)
        .digest('hex'),
    '%': () => '%',
  };
  return value.replace(/%(.?)/g, (_m, c: string) => {
    const f = allowed && !allowed.includes(c) ? undefined : table[c];
    if (!f) throw new TokenError(option, value, c ? `%${c}` : '%');
    return f();
  });
}

/** A path option: ~ first, then tokens (OpenSSH's tilde_expand + percent_expand). */
export function expandPath(value: string, t: TokenValues, option: string): string {
  return expandHome(expandTokens(value, t, option));
}

export class TokenError extends Error {
  constructor(
    readonly option: string,
    readonly value: string,
    readonly token: string,
  ) {
    super(`ssh_config ${option} ${value}: unknown token ${token}`);
  }
}
