import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { UsageError } from '../errors.js';
import { evaluateConfig, type ConfigValues } from './sshconfig-eval.js';
import { SshConfigSyntaxError } from './sshconfig-parse.js';
import { localUser } from './ssh-tokens.js';

export { expandHome } from './ssh-tokens.js';

/**
 * The ssh_config(5) values fab uses, for one host alias. Paths and commands are as written: their
 * %-tokens and ~ are expanded once the endpoint (host, port, user) is known (endpoint.ts).
 */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  proxyJump?: string;
  proxyCommand?: string;
  knownHostsFiles: string[];
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
  /** ForwardAgent yes, or the agent socket to forward (a path or $VAR) */
  forwardAgent?: boolean | string;
  /** IdentityAgent: none, SSH_AUTH_SOCK, a socket path or $VAR */
  identityAgent?: string;
  certificateFiles: string[];
}

const YES = new Set(['yes', 'true']);

export class SshConfigFile {
  private constructor(
    private readonly text: string | undefined,
    readonly path: string,
  ) {}

  /** `explicit` (from --ssh-config) must exist; the default ~/.ssh/config may be missing. */
  static async load(explicit?: string): Promise<SshConfigFile> {
    const path = explicit ?? `${homedir()}/.ssh/config`;
    try {
      return new SshConfigFile(await readFile(path, 'utf8'), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return new SshConfigFile(undefined, path);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT')
        throw new UsageError(`--ssh-config ${path}: no such file`, 'give the path of an existing ssh config file');
      throw new UsageError(`cannot read ssh config ${path}: ${(err as Error).message}`);
    }
  }

  /** The raw values for `alias` (lower-case keywords), as ssh(1) would read them. */
  values(alias: string, user?: string): ConfigValues {
    if (this.text === undefined) return new Map();
    try {
      return evaluateConfig(this.path, this.text, {
        alias,
        ...(user ? { user } : {}),
        localUser: localUser(),
        sshDir: `${homedir()}/.ssh`,
        read: (f) => {
          try {
            return readFileSync(f, 'utf8');
          } catch {
            return undefined;
          }
        },
        exec: (cmd) => spawnSync('/bin/sh', ['-c', cmd], { stdio: 'ignore' }).status === 0,
      });
    } catch (err) {
      if (err instanceof SshConfigSyntaxError)
        throw new UsageError(`ssh config ${err.message}`, 'fix that line (see ssh_config(5))');
      throw err;
    }
  }

  /** `user`: fab's -u or the host set's user, which `Match user` must see (as `ssh -l`). */
  lookup(alias: string, user?: string): SshConfigEntry {
    return entryOf(alias, this.values(alias, user), this.path);
  }
}

/** Turns raw values into an entry; a bad number names the option and the file. */
export function entryOf(alias: string, v: ConfigValues, file: string): SshConfigEntry {
  const one = (k: string): string | undefined => v.get(k)?.[0];
  const num = (k: string, name: string): number | undefined => {
    const s = one(k);
    if (s === undefined || s.toLowerCase() === 'none') return undefined;
    if (!/^\d+$/.test(s))
      throw new UsageError(
        `ssh config ${file}: ${name} ${s} for ${alias}: not a number`,
        `write ${name} as a whole number`,
      );
    return Number(s);
  };
  const notNone = (s: string | undefined): string | undefined =>
    s === undefined || s.toLowerCase() === 'none' ? undefined : s;
  const entry: SshConfigEntry = {
    identityFiles: v.get('identityfile') ?? [],
    identitiesOnly: YES.has(one('identitiesonly')?.toLowerCase() ?? ''),
    knownHostsFiles: (v.get('userknownhostsfile') ?? []).filter((f) => f.toLowerCase() !== 'none'),
    certificateFiles: v.get('certificatefile') ?? [],
  };
  const hostName = one('hostname');
  // HostName takes %h (the alias) and %% only; ssh lower-cases the result.
  if (hostName)
    entry.hostName = hostName.replace(/%(h|%)/g, (_m, c: string) => (c === 'h' ? alias : '%')).toLowerCase();
  const user = one('user');
  if (user) entry.user = user;
  const port = num('port', 'Port');
  if (port) entry.port = port;
  const jump = notNone(one('proxyjump'));
  if (jump) entry.proxyJump = jump;
  const command = notNone(one('proxycommand'));
  if (command) entry.proxyCommand = command;
  const ct = num('connecttimeout', 'ConnectTimeout');
  if (ct) entry.connectTimeout = ct;
  const sai = num('serveraliveinterval', 'ServerAliveInterval');
  if (sai) entry.serverAliveInterval = sai;
  const sac = num('serveralivecountmax', 'ServerAliveCountMax');
  if (sac) entry.serverAliveCountMax = sac;
  const fwd = one('forwardagent');
  if (fwd !== undefined)
    entry.forwardAgent = YES.has(fwd.toLowerCase()) ? true : fwd.toLowerCase() === 'no' ? false : fwd;
  const agent = one('identityagent');
  if (agent) entry.identityAgent = agent;
  return entry;
}
