import { readFile } from 'node:fs/promises';
import { homedir, userInfo } from 'node:os';
import SSHConfig from 'ssh-config';
import { UsageError } from '../errors.js';

/** The ssh_config(5) values fab uses, for one host alias, first value wins as in OpenSSH. */
export interface SshConfigEntry {
  hostName?: string;
  user?: string;
  port?: number;
  identityFiles: string[];
  identitiesOnly: boolean;
  proxyJump?: string;
  knownHostsFiles: string[];
  connectTimeout?: number;
  serverAliveInterval?: number;
  serverAliveCountMax?: number;
}

export function expandHome(path: string): string {
  return path === '~' ? homedir() : path.startsWith('~/') ? `${homedir()}/${path.slice(2)}` : path;
}

export class SshConfigFile {
  private constructor(
    private readonly config: SSHConfig | undefined,
    readonly path: string,
  ) {}

  /** `explicit` (from --ssh-config) must exist; the default ~/.ssh/config may be missing. */
  static async load(explicit?: string): Promise<SshConfigFile> {
    const path = explicit ?? `${homedir()}/.ssh/config`;
    try {
      return new SshConfigFile(SSHConfig.parse(await readFile(path, 'utf8')), path);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT' && !explicit) return new SshConfigFile(undefined, path);
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') throw new UsageError(`--ssh-config ${path}: no such file`, 'give the path of an existing ssh config file');
      throw new UsageError(`cannot read ssh config ${path}: ${(err as Error).message}`);
    }
  }

  lookup(alias: string): SshConfigEntry {
    const raw = this.config ? this.config.compute(alias) : {};
    const get = (key: string): string | string[] | undefined => {
      const k = Object.keys(raw).find((x) => x.toLowerCase() === key.toLowerCase());
      return k === undefined ? undefined : raw[k];
    };
    const one = (key: string): string | undefined => {
      const v = get(key);
      return Array.isArray(v) ? v[0] : v;
    };
    const many = (key: string): string[] => {
      const v = get(key);
      return v === undefined ? [] : Array.isArray(v) ? v.flatMap((x) => x.split(/\s+/)) : v.split(/\s+/);
    };
    const num = (key: string): number | undefined => {
      const v = one(key);
      return v === undefined || !/^\d+$/.test(v) ? undefined : Number(v);
    };
    const hostName = one('HostName');
    const tokens = (s: string): string =>
      expandHome(s.replace(/%(.)/g, (m, c: string) => ({ h: hostName ?? alias, n: alias, u: userInfo().username, r: one('User') ?? userInfo().username, d: homedir(), '%': '%' })[c] ?? m));
    const entry: SshConfigEntry = {
      identityFiles: many('IdentityFile').map(tokens),
      identitiesOnly: one('IdentitiesOnly')?.toLowerCase() === 'yes',
      knownHostsFiles: many('UserKnownHostsFile').map(tokens),
    };
    if (hostName) entry.hostName = tokens(hostName);
    const user = one('User');
    if (user) entry.user = user;
    const port = num('Port');
    if (port) entry.port = port;
    const jump = one('ProxyJump');
    if (jump && jump.toLowerCase() !== 'none') entry.proxyJump = jump;
    const ct = num('ConnectTimeout');
    if (ct) entry.connectTimeout = ct;
    const sai = num('ServerAliveInterval');
    if (sai) entry.serverAliveInterval = sai;
    const sac = num('ServerAliveCountMax');
    if (sac) entry.serverAliveCountMax = sac;
    return entry;
  }
}
