import { describe, expect, it } from 'vitest';
import type { SshEndpoint } from '../../lib/transport/endpoint.js';
import {
  bootstrapCommand,
  controlArgs,
  endpointIdentity,
  execArgs,
  hostArgument,
  killCommand,
  masterArgs,
  proxyCommand,
  sshFailure,
  type OpenSshSetup,
} from '../../lib/transport/openssh-args.js';

const ep: SshEndpoint = {
  name: 'web1',
  host: '10.0.0.11',
  port: 2222,
  user: 'deploy',
  keys: ['/k/id ed'],
  knownHosts: ['/kh/a', '/kh/b c'],
  connectTimeoutMs: 2500,
  keepaliveMs: 15_000,
  keepaliveCountMax: 3,
  identitiesOnly: false,
  forwardAgent: false,
  certificateFiles: [],
};
const setup: OpenSshSetup = { controlPath: '/run/u/fabts/p-abc', persistSeconds: 600, acceptNew: false };
const common = [
  '-o',
  'BatchMode=yes',
  '-o',
  'LogLevel=ERROR',
  '-o',
  'ControlPath=/run/u/fabts/p-abc',
  '-o',
  'HostName=10.0.0.11',
  '-o',
  'Port=2222',
  '-o',
  'User=deploy',
  '-o',
  'StrictHostKeyChecking=yes',
  '-o',
  'UserKnownHostsFile=/kh/a "/kh/b c"',
  '-o',
  'GlobalKnownHostsFile=none',
  '-o',
  'HashKnownHosts=no',
  '-o',
  'ConnectTimeout=3',
  '-o',
  'ServerAliveInterval=15',
  '-o',
  'ServerAliveCountMax=3',
  '-o',
  'IdentitiesOnly=no',
  '-o',
  'IdentityAgent=none',
  '-o',
  'ForwardAgent=no',
  '-i',
  '/k/id ed',
];

describe('OpenSSH command lines (golden)', () => {
  it.each<[string, string[], string[]]>([
    [
      'master',
      masterArgs(ep, setup),
      [...common, '-o', 'ControlMaster=yes', '-o', 'ControlPersist=600', '-N', '-f', 'web1'],
    ],
    ['exec', execArgs(ep, setup, 'BOOT'), [...common, '-o', 'ControlMaster=no', '-T', 'web1', '--', 'BOOT']],
    [
      'exec with a pty',
      execArgs(ep, setup, 'BOOT', true),
      [...common, '-o', 'ControlMaster=no', '-o', 'EscapeChar=none', '-tt', 'web1', '--', 'BOOT'],
    ],
    [
      'check',
      controlArgs('/d/p-1', 'check'),
      ['-o', 'BatchMode=yes', '-o', 'ControlPath=/d/p-1', '-O', 'check', 'fabts-control'],
    ],
    [
      'exit',
      controlArgs('/d/p-1', 'exit'),
      ['-o', 'BatchMode=yes', '-o', 'ControlPath=/d/p-1', '-O', 'exit', 'fabts-control'],
    ],
    [
      'accept-new and --ssh-config',
      masterArgs(ep, { ...setup, acceptNew: true, sshConfigPath: '/c' })
        .slice(0, 2)
        .concat(masterArgs(ep, { ...setup, acceptNew: true }).filter((a) => a.startsWith('Strict'))),
      ['-F', '/c', 'StrictHostKeyChecking=accept-new'],
    ],
    [
      'a raw user@host:port name uses the address',
      execArgs({ ...ep, name: 'deploy@10.0.0.11:2222' }, setup, 'B').slice(-3),
      ['10.0.0.11', '--', 'B'],
    ],
    [
      'agent, IdentitiesOnly, ForwardAgent, certificates',
      execArgs(
        { ...ep, agent: '/run/a gent', identitiesOnly: true, forwardAgent: true, certificateFiles: ['/k/c-cert.pub'] },
        setup,
        'B',
      ).filter((a) => /^(IdentitiesOnly|IdentityAgent|ForwardAgent|CertificateFile)=/.test(a)),
      ['IdentitiesOnly=yes', 'IdentityAgent="/run/a gent"', 'ForwardAgent=yes', 'CertificateFile=/k/c-cert.pub'],
    ],
    [
      'a ProxyCommand (tokens already expanded)',
      execArgs({ ...ep, proxyCommand: 'nc -X 5 proxy 10.0.0.11 2222 # 100%' }, setup, 'B').filter((a) =>
        a.startsWith('ProxyCommand'),
      ),
      ['ProxyCommand=nc -X 5 proxy 10.0.0.11 2222 # 100%%'],
    ],
    [
      '% in a value is not an ssh token',
      execArgs(ep, { ...setup, controlPath: '/d/50%' }, 'B').filter((a) => a.startsWith('ControlPath')),
      ['ControlPath=/d/50%%'],
    ],
  ])('%s', (_name, got, want) => expect(got).toEqual(want));

  it('reaches a jump chain through the previous hop master', () => {
    const args = execArgs(ep, { ...setup, viaControlPath: '/d/p-hop', viaHost: 'bastion' }, 'B');
    expect(args.slice(-8)).toEqual([
      '-o',
      'ProxyCommand=ssh -o BatchMode=yes -o ControlMaster=no -S /d/p-hop -W 10.0.0.11:2222 bastion',
      '-o',
      'ControlMaster=no',
      '-T',
      'web1',
      '--',
      'B',
    ]);
    expect(proxyCommand("/d/it's", 'b', ep)).toBe(
      "ssh -o BatchMode=yes -o ControlMaster=no -S '/d/it'\\''s' -W 10.0.0.11:2222 b",
    );
  });

  it.each([
    [0, `echo fab-pid:$$ >&2; exec "\${SHELL:-/bin/sh}" -c "$(dd bs=1 count=0 2>/dev/null)"`],
    [1234, `echo fab-pid:$$ >&2; exec "\${SHELL:-/bin/sh}" -c "$(dd bs=1 count=1234 2>/dev/null)"`],
  ])('bootstrap for a %i-byte command', (n, want) => expect(bootstrapCommand(n)).toBe(want));

  it.each([
    [
      0,
      'stty raw -echo && echo fab-pid:$$ && c="$(dd bs=1 count=0 2>/dev/null)" && ' +
        'stty sane -echo -onlcr rows 24 cols 200 && echo fab-go && exec "${SHELL:-/bin/sh}" -c "$c"',
    ],
    [
      77,
      'stty raw -echo && echo fab-pid:$$ && c="$(dd bs=1 count=77 2>/dev/null)" && ' +
        'stty sane -echo -onlcr rows 24 cols 200 && echo fab-go && exec "${SHELL:-/bin/sh}" -c "$c"',
    ],
  ])('bootstrap under a pty for a %i-byte command', (n, want) => expect(bootstrapCommand(n, true)).toBe(want));

  it('kills the process group, falling back to the pid', () => {
    expect(killCommand(42)).toBe('kill -TERM -- -42 2>/dev/null || kill -TERM 42');
  });

  it('names the host as ssh_config knows it when it is a plain name', () => {
    expect(hostArgument(ep)).toBe('web1');
    expect(hostArgument({ ...ep, name: '-oProxyCommand=x' })).toBe('10.0.0.11');
  });
});

describe('endpoint identity: a master is reused only for the same connection', () => {
  const id = (e: Partial<SshEndpoint>, x: Partial<Parameters<typeof endpointIdentity>[1]> = {}) =>
    endpointIdentity({ ...ep, ...e }, { acceptNew: false, ...x });
  it.each<[string, string]>([
    ['user', id({ user: 'root' })],
    ['address', id({ host: '10.0.0.12' })],
    ['port', id({ port: 22 })],
    ['keys', id({ keys: ['/k/other'] })],
    ['known_hosts', id({ knownHosts: ['/kh/a'] })],
    ['jump', id({ jump: 'bastion' })],
    ['hop master', id({}, { via: '/d/p-hop' })],
    ['ssh config', id({}, { sshConfigPath: '/c' })],
    ['ProxyCommand', id({ proxyCommand: 'nc x 22' })],
    ['agent', id({ agent: '/a' })],
    ['IdentitiesOnly', id({ identitiesOnly: true })],
    ['ForwardAgent', id({ forwardAgent: true })],
    ['certificates', id({ certificateFiles: ['/c.pub'] })],
    ['accept-new', id({}, { acceptNew: true })],
    ['keepalive', id({ keepaliveMs: 5000 })],
  ])('changes with %s', (_what, other) => expect(other).not.toBe(id({})));
  it('does not change with the connect timeout, and is stable', () => {
    expect(id({ connectTimeoutMs: 99_000 })).toBe(id({}));
    expect(id({})).toMatch(/^[0-9a-f]{32}$/);
  });
});

describe('ssh client failures in the embedded transport words', () => {
  it.each([
    ['ssh: connect to host 10.0.0.11 port 2222: Connection refused', 'connection refused', undefined, 'refused'],
    ['ssh: connect to host 10.0.0.11 port 2222: No route to host', 'no route to host', undefined, 'unreachable'],
    ['ssh: Could not resolve hostname nope: Name or service not known', 'cannot resolve 10.0.0.11', undefined, 'dns'],
    ['ssh: connect to host 10.0.0.11 port 2222: Connection timed out', 'timed out after 2.5s', undefined, 'timeout'],
    [
      'deploy@10.0.0.11: Permission denied (publickey).',
      'authentication failed for user deploy (tried /k/id ed)',
      undefined,
      'auth',
    ],
    [
      'No ED25519 host key is known for [10.0.0.11]:2222 and you have requested strict checking.\nHost key verification failed.',
      undefined,
      'unknown',
      'host-key',
    ],
    [
      '@@@ WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED! @@@\nHost key verification failed.',
      undefined,
      'changed',
      'host-key',
    ],
  ])('%s', (stderr, reason, hostKey, kind) => {
    const f = sshFailure(stderr, ep);
    if (reason) expect(f.reason).toBe(reason);
    expect(f.hostKey).toBe(hostKey);
    expect(f.kind).toBe(kind);
  });
});
