import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { UsageError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { Credentials } from './credentials.js';
import type { SshConfigEntry } from './sshconfig.js';
import { TokenError, expandHome, expandPath, expandTokens, localUser, type TokenValues } from './ssh-tokens.js';

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
  /** -A: forward the agent to every host (ssh_config's ForwardAgent otherwise) */
  forwardAgent?: boolean;
  /** The login password and key passphrases, shared by every connection of the run */
  credentials?: Credentials;
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
  /** ProxyCommand with its tokens expanded, run with `sh -c`; its stdin/stdout are the connection */
  proxyCommand?: string;
  /** The ssh-agent socket (IdentityAgent, else SSH_AUTH_SOCK); none: no agent */
  agent?: string;
  /** Agent keys are used only if they are one of `keys` (IdentitiesOnly yes). */
  identitiesOnly: boolean;
  forwardAgent: boolean;
  /** CertificateFile values: ssh2 cannot use them, so connecting refuses (names the option). */
  certificateFiles: string[];
  connectTimeoutMs: number;
  keepaliveMs: number;
  keepaliveCountMax: number;
}

const DEFAULT_KEYS = ['id_ed25519', 'id_ecdsa', 'id_rsa'];
export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/** IdentityAgent / ForwardAgent socket values: none, SSH_AUTH_SOCK, $VAR, or a path. */
function agentSocket(value: string | undefined, t: TokenValues, env: NodeJS.ProcessEnv): string | undefined {
  if (value === undefined || value === 'SSH_AUTH_SOCK') return env.SSH_AUTH_SOCK || undefined;
  if (value.toLowerCase() === 'none') return undefined;
  if (value.startsWith('$')) return env[value.slice(1)] || undefined;
  return expandPath(value, t, 'IdentityAgent');
}

/**
 * Precedence, as with OpenSSH (command line > config): fab's command line, then the host set,
 * then ssh_config, then defaults. %-tokens and ~ are expanded with the final host, port and user.
 */
export function resolveEndpoint(
  target: HostTarget,
  cfg: SshConfigEntry,
  opts: SshOptions,
  env: NodeJS.ProcessEnv = process.env,
): SshEndpoint {
  const explicitAddress = target.address !== target.name;
  const host = explicitAddress ? target.address : (cfg.hostName ?? target.address);
  const port = opts.port ?? target.port ?? cfg.port ?? 22;
  const user = opts.user ?? target.user ?? cfg.user ?? localUser();
  // -g is for the hosts of the run; a gateway that is itself one of them is reached as it is configured.
  const gateway = opts.gateway?.split(',').some((h) => h.trim() === target.name) ? undefined : opts.gateway;
  const jump = gateway ?? target.jump ?? cfg.proxyJump;
  const t: TokenValues = { host, alias: target.name, port, user, ...(jump ? { jump } : {}) };
  try {
    const path = (option: string) => (p: string) => expandPath(p, t, option);
    const keys = opts.identity.length
      ? opts.identity.map(expandHome)
      : [...target.keys.map(expandHome), ...cfg.identityFiles.map(path('IdentityFile'))];
    const defaults = DEFAULT_KEYS.map((k) => `${homedir()}/.ssh/${k}`).filter((k) => existsSync(k));
    const knownHosts = opts.knownHosts
      ? [expandHome(opts.knownHosts)]
      : target.knownHosts
        ? [expandHome(target.knownHosts)]
        : cfg.knownHostsFiles.length
          ? cfg.knownHostsFiles.map(path('UserKnownHostsFile'))
          : [`${homedir()}/.ssh/known_hosts`, `${homedir()}/.ssh/known_hosts2`];
    const fwd = opts.forwardAgent === true || cfg.forwardAgent === true || typeof cfg.forwardAgent === 'string';
    // `ForwardAgent /path` names the agent to forward; ssh2 has one agent per connection, used for both.
    const fwdSocket = typeof cfg.forwardAgent === 'string' && !opts.forwardAgent;
    const agent = agentSocket(fwdSocket ? (cfg.forwardAgent as string) : cfg.identityAgent, t, env);
    const ep: SshEndpoint = {
      name: target.name,
      host,
      port,
      user,
      keys: keys.length || cfg.identitiesOnly ? keys : defaults,
      knownHosts,
      identitiesOnly: cfg.identitiesOnly,
      forwardAgent: fwd,
      certificateFiles: cfg.certificateFiles.map(path('CertificateFile')),
      connectTimeoutMs:
        opts.connectTimeoutMs ?? (cfg.connectTimeout ? cfg.connectTimeout * 1000 : DEFAULT_CONNECT_TIMEOUT_MS),
      keepaliveMs: cfg.serverAliveInterval ? cfg.serverAliveInterval * 1000 : opts.keepaliveMs,
      keepaliveCountMax: cfg.serverAliveCountMax ?? 3,
    };
    if (agent) ep.agent = agent;
    // fab's -g and the host set's jump replace ssh_config's proxy; ssh_config's own ProxyJump/ProxyCommand exclude each other.
    if (jump) ep.jump = jump;
    else if (cfg.proxyCommand) ep.proxyCommand = expandTokens(cfg.proxyCommand, t, 'ProxyCommand');
    return ep;
  } catch (err) {
    const fix = 'use %h %n %p %r %u %d %i %l %L %j %C or %% (ssh_config(5) TOKENS)';
    if (err instanceof TokenError) throw new UsageError(`host ${target.name}: ${err.message}`, fix);
    throw err;
  }
}

export const describeEndpoint = (ep: SshEndpoint): string => `${ep.user}@${ep.host}:${ep.port}`;
