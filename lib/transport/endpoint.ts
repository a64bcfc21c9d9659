import { existsSync } from 'node:fs';
import { homedir, userInfo } from 'node:os';
import type { HostTarget } from '../model/hostset.js';
import { expandHome, type SshConfigEntry } from './sshconfig.js';

/** Options from the command line that apply to every SSH connection of a run. */
export interface SshOptions {
  user?: string;
  port?: number;
  identity: string[];
  gateway?: string;
  knownHosts?: string;
  acceptNew: boolean;
  /** -t; when absent, ssh_config's ConnectTimeout or DEFAULT_CONNECT_TIMEOUT_MS */
  connectTimeoutMs?: number;
  attempts: number;
  keepaliveMs: number;
}

/** Everything needed to open one SSH connection. */
export interface SshEndpoint {
  name: string;
  host: string;
  port: number;
  user: string;
  keys: string[];
  /** Files read for host keys; the first one receives --accept-new additions. */
  knownHosts: string[];
  jump?: string;
  connectTimeoutMs: number;
  keepaliveMs: number;
  keepaliveCountMax: number;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Precedence, as with OpenSSH (command line > config): fab's command line, then the host set,
 * then ssh_config, then defaults.
 */
export function resolveEndpoint(target: HostTarget, cfg: SshConfigEntry, opts: SshOptions): SshEndpoint {
  const explicitAddress = target.address !== target.name;
  const keys = opts.identity.length ? opts.identity : [...target.keys, ...cfg.identityFiles];
  const defaults = DEFAULT_KEYS.map((k) => `${homedir()}/.ssh/${k}`).filter((k) => existsSync(k));
  const knownHosts = opts.knownHosts
    ? [opts.knownHosts]
    : target.knownHosts
      ? [target.knownHosts]
      : cfg.knownHostsFiles.length
        ? cfg.knownHostsFiles
        : [`${homedir()}/.ssh/known_hosts`, `${homedir()}/.ssh/known_hosts2`];
  const ep: SshEndpoint = {
    name: target.name,
    host: explicitAddress ? target.address : (cfg.hostName ?? target.address),
    port: opts.port ?? target.port ?? cfg.port ?? 22,
    user: opts.user ?? target.user ?? cfg.user ?? userInfo().username,
    keys: (keys.length || cfg.identitiesOnly ? keys : defaults).map(expandHome),
    knownHosts: knownHosts.map(expandHome),
    connectTimeoutMs: opts.connectTimeoutMs ?? (cfg.connectTimeout ? cfg.connectTimeout * 1000 : DEFAULT_CONNECT_TIMEOUT_MS),
    keepaliveMs: cfg.serverAliveInterval ? cfg.serverAliveInterval * 1000 : opts.keepaliveMs,
    keepaliveCountMax: cfg.serverAliveCountMax ?? 3,
  };
  // -g is for the hosts of the run; a gateway that is itself one of them is reached as it is configured.
  const gateway = opts.gateway?.split(',').some((h) => h.trim() === target.name) ? undefined : opts.gateway;
  const jump = gateway ?? target.jump ?? cfg.proxyJump;
  if (jump) ep.jump = jump;
  return ep;
}

export const describeEndpoint = (ep: SshEndpoint): string => `${ep.user}@${ep.host}:${ep.port}`;
