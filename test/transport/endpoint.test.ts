import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_MS, resolveEndpoint, type SshOptions } from '../../lib/transport/endpoint.js';
import type { HostTarget } from '../../lib/model/hostset.js';
import type { SshConfigEntry } from '../../lib/transport/sshconfig.js';

const target: HostTarget = { name: 'web1', address: 'web1', keys: [], transport: 'ssh', roles: [], settings: {} };
const base: SshOptions = { identity: [], acceptNew: false, attempts: 1, keepaliveMs: 15_000 };
const cfg = (c: Partial<SshConfigEntry>): SshConfigEntry => ({
  identityFiles: [],
  knownHostsFiles: [],
  identitiesOnly: false,
  certificateFiles: [],
  ...c,
});

describe('resolveEndpoint: connect timeout', () => {
  it.each([
    ['neither -t nor ssh_config', {}, {}, DEFAULT_CONNECT_TIMEOUT_MS],
    ['ssh_config ConnectTimeout', {}, { connectTimeout: 3 }, 3000],
    ['-t over ssh_config', { connectTimeoutMs: 1000 }, { connectTimeout: 3 }, 1000],
    ['-t alone', { connectTimeoutMs: 7000 }, {}, 7000],
  ])('%s', (_name, opts, entry, want) => {
    expect(resolveEndpoint(target, cfg(entry), { ...base, ...opts }).connectTimeoutMs).toBe(want);
  });
});

describe('resolveEndpoint: jump host', () => {
  it.each([
    ['-g over the host set and ssh_config', { gateway: 'gw' }, { jump: 'set' }, { proxyJump: 'cfg' }, 'gw'],
    ['the host set over ssh_config', {}, { jump: 'set' }, { proxyJump: 'cfg' }, 'set'],
    ['ssh_config alone', {}, {}, { proxyJump: 'cfg' }, 'cfg'],
    ['-g naming the host itself: its own config, not a loop', { gateway: 'web1' }, { jump: 'set' }, {}, 'set'],
    ['-g chain containing the host: reached directly', { gateway: 'a, web1' }, {}, {}, undefined],
  ])('%s', (_name, opts, t, entry, want) => {
    expect(resolveEndpoint({ ...target, ...t }, cfg(entry), { ...base, ...opts }).jump).toBe(want);
  });
});

describe('resolveEndpoint: agent, forwarding, proxies, tokens', () => {
  const env = { SSH_AUTH_SOCK: '/run/agent.sock', OTHER_SOCK: '/run/other.sock' };
  it.each([
    ['SSH_AUTH_SOCK by default', {}, '/run/agent.sock'],
    ['IdentityAgent none', { identityAgent: 'none' }, undefined],
    ['IdentityAgent $VAR', { identityAgent: '$OTHER_SOCK' }, '/run/other.sock'],
    ['IdentityAgent path with tokens', { identityAgent: '/run/%r/agent' }, '/run/deploy/agent'],
  ])('%s', (_n, entry, want) => {
    expect(resolveEndpoint({ ...target, user: 'deploy' }, cfg(entry), base, env).agent).toBe(want);
  });

  it('forwards the agent only with -A or ForwardAgent', () => {
    expect(resolveEndpoint(target, cfg({}), base, env).forwardAgent).toBe(false);
    expect(resolveEndpoint(target, cfg({}), { ...base, forwardAgent: true }, env).forwardAgent).toBe(true);
    expect(resolveEndpoint(target, cfg({ forwardAgent: true }), base, env).forwardAgent).toBe(true);
    expect(resolveEndpoint(target, cfg({ forwardAgent: '$OTHER_SOCK' }), base, env)).toMatchObject({
      forwardAgent: true,
      agent: '/run/other.sock',
    });
  });

  it('expands ProxyCommand with the final host, port and user; -g replaces it', () => {
    const entry = cfg({ hostName: 'web1.example', proxyCommand: 'socat - TCP:%h:%p # %r' });
    expect(resolveEndpoint(target, entry, { ...base, user: 'ops', port: 2200 }, env).proxyCommand).toBe(
      'socat - TCP:web1.example:2200 # ops',
    );
    const viaGateway = resolveEndpoint(target, entry, { ...base, gateway: 'bastion' }, env);
    expect(viaGateway).toMatchObject({ jump: 'bastion' });
    expect(viaGateway.proxyCommand).toBeUndefined();
  });

  it('expands IdentityFile and UserKnownHostsFile tokens; a bad token is a usage error naming the host', () => {
    const ep = resolveEndpoint(
      target,
      cfg({ identityFiles: ['/keys/%n_%r'], knownHostsFiles: ['/kh/%h'], user: 'u' }),
      base,
      env,
    );
    expect(ep.keys).toEqual(['/keys/web1_u']);
    expect(ep.knownHosts).toEqual(['/kh/web1']);
    expect(() => resolveEndpoint(target, cfg({ identityFiles: ['/keys/%z'] }), base, env)).toThrow(
      /host web1: ssh_config IdentityFile \/keys\/%z: unknown token %z/,
    );
  });
});
