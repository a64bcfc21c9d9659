import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { rawTarget } from '../../lib/exec/connections.js';
import { resolveEndpoint } from '../../lib/transport/endpoint.js';
import { SshConfigFile } from '../../lib/transport/sshconfig.js';
import { localUser } from '../../lib/transport/ssh-tokens.js';

/**
 * fab's reading of ssh_config against OpenSSH's own: for real config files written here, `ssh -G -F
 * file host` and fab must agree on every field fab uses.
 */
const dir = mkdtempSync(join(tmpdir(), 'fabts-sshg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const file = (name: string, text: string): string => {
  const p = join(dir, name);
  writeFileSync(p, text);
  return p;
};

const FIELDS = [
  'hostname',
  'user',
  'port',
  'identityfile',
  'proxyjump',
  'proxycommand',
  'userknownhostsfile',
  'connecttimeout',
  'forwardagent',
];
const DEFAULT_IDS = ['id_rsa', 'id_ecdsa', 'id_ecdsa_sk', 'id_ed25519', 'id_ed25519_sk', 'id_xmss', 'id_dsa'].map(
  (k) => `~/.ssh/${k}`,
);

function sshG(cfg: string, host: string, user?: string): Record<string, string> {
  const out = execFileSync('ssh', ['-G', '-F', cfg, ...(user ? ['-l', user] : []), host], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'ignore'],
  });
  const r: Record<string, string[]> = {};
  for (const line of out.split('\n')) {
    const [k, ...v] = line.split(' ');
    if (k && FIELDS.includes(k)) (r[k] ??= []).push(v.join(' '));
  }
  return Object.fromEntries(FIELDS.map((f) => [f, (r[f] ?? []).join(' | ')]));
}

async function fab(cfg: string, host: string, user?: string): Promise<Record<string, string>> {
  const e = (await SshConfigFile.load(cfg)).lookup(host, user);
  const ep = resolveEndpoint(rawTarget(host), e, {
    identity: [],
    acceptNew: false,
    attempts: 1,
    keepaliveMs: 0,
    ...(user ? { user } : {}),
  });
  return {
    hostname: e.hostName ?? host.toLowerCase(),
    user: user ?? e.user ?? localUser(),
    port: String(e.port ?? 22),
    // ssh -G prints IdentityFile as written (tokens unexpanded), or its default list.
    identityfile: (e.identityFiles.length ? e.identityFiles : DEFAULT_IDS).join(' | '),
    proxyjump: e.proxyJump ?? '',
    proxycommand: e.proxyCommand ?? '',
    userknownhostsfile: ep.knownHosts.join(' '),
    connecttimeout: e.connectTimeout === undefined ? 'none' : String(e.connectTimeout),
    forwardagent: e.forwardAgent === true ? 'yes' : 'no',
  };
}

const inc1 = file('inc-10.conf', 'Host inc1\n  HostName included.example\n  Port 2201\n');
file('inc-20.conf', 'Host inc1 inc2\n  User incuser\n  Port 9999\n');
file('block.conf', 'User fromblock\nIdentityFile ~/.ssh/block_key\nHost other\n  User other\n');

const CASES: Array<[string, string, string[], string?]> = [
  [
    'Host blocks, first value wins, tokens, Host * defaults',
    `Host web1
  HostName %h.example.com
  Port 2200
  IdentityFile ~/.ssh/k_%r_%h
  IdentityFile /keys/second
Match host *.example.com
  User deploy
  ProxyCommand nc -q0 %h %p
  UserKnownHostsFile ~/kh/%h %d/kh2/%r_%p_%n
Host *
  ConnectTimeout 7
  ForwardAgent yes
  Port 22
`,
    ['web1', 'web2', 'WEB1'],
  ],
  [
    'Host patterns: negation, ?, case as typed; Match host and originalhost without case',
    `Host !db* *.prod
  User produser
Host db?
  HostName DB-%h.Internal
Match host db-*.internal
  Port 3022
Match originalhost DB2
  ForwardAgent yes
Match user root,other
  ConnectTimeout 3
`,
    ['web.prod', 'db1.prod', 'db2', 'DB2', 'db10'],
  ],
  [
    'ProxyJump and ProxyCommand: first wins, none',
    `Host pj
  ProxyJump bastion,jump2
  ProxyCommand nc %h %p
Host pc
  ProxyCommand socat - TCP:%h:%p
  ProxyJump bastion
Host pjnone
  ProxyJump none
  ProxyCommand nc %h %p
Host pcnone
  ProxyCommand none
  ProxyJump bastion
Host *
  ProxyJump fallback
`,
    ['pj', 'pc', 'pjnone', 'pcnone', 'any'],
  ],
  [
    'Include: globs in order, first value wins across files, Include inside a Host block',
    `Include ${join(dir, 'inc-*.conf')}
Host blk
  Include ${join(dir, 'block.conf')}
  Port 2022
Host nomatch
  Include ${join(dir, 'block.conf')}
Host *
  User star
`,
    ['inc1', 'inc2', 'blk', 'other', 'nomatch'],
  ],
  [
    'Match exec, all, final; quoted values, Key=Value syntax',
    `Match exec "test -e ${inc1}"
  User execuser
Match exec "test -e ${join(dir, 'missing')}"
  Port 1111
Host q
  IdentityFile "/path with space/key"
  Port=2345
Match final host final.example
  User finaluser
Host f
  HostName final.example
Match all
  ConnectTimeout 9
`,
    ['q', 'f', 'zzz'],
  ],
  [
    'a login user from fab (-u, as ssh -l) wins over User and is what Match user sees',
    `Host *
  User cfguser
Match user ops
  Port 2024
  UserKnownHostsFile /kh/%r
`,
    ['h1'],
    'ops',
  ],
];

describe('ssh_config: fab agrees with ssh -G', () => {
  for (const [name, text, hosts, user] of CASES) {
    it(name, async () => {
      const cfg = file(`${name.replace(/\W+/g, '_')}.conf`, text);
      for (const host of hosts)
        expect({ host, ...(await fab(cfg, host, user)) }).toEqual({ host, ...sshG(cfg, host, user) });
    });
  }
});

describe('ssh_config tokens: fab expands ProxyCommand as ssh runs it', () => {
  it('%h %p %r %n %% and ~ in a real ssh run', async () => {
    const out = join(dir, 'tokens.out');
    const cfg = file(
      'tokens.conf',
      `Host tok
  HostName Tok.Example
  User remote
  Port 2022
  ProxyCommand env sh -c 'printf "[%%s]" "$@" > ${out}' sh %h %p %r %n %% ~
`,
    );
    try {
      execFileSync('ssh', ['-F', cfg, '-o', 'BatchMode=yes', 'tok', 'true'], { stdio: 'ignore' });
    } catch {
      /* the proxy sends no banner: ssh fails after running it */
    }
    // The proxy's stdout (ssh's connection) stays open until printf has written, so the file is complete here.
    const bySsh = readFileSync(out, 'utf8');
    rmSync(out);
    const ep = resolveEndpoint(rawTarget('tok'), (await SshConfigFile.load(cfg)).lookup('tok'), {
      identity: [],
      acceptNew: false,
      attempts: 1,
      keepaliveMs: 0,
    });
    expect(ep.proxyCommand).toBeDefined();
    try {
      execFileSync('/bin/sh', ['-c', ep.proxyCommand!], { stdio: 'ignore' });
    } catch {
      /* as above */
    }
    const byFab = readFileSync(out, 'utf8');
    expect(bySsh).toBe(`[tok.example][2022][remote][tok][%][${homedir()}]`);
    expect(byFab).toBe(bySsh);
  });
});
