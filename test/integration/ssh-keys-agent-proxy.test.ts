import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { runOnTty } from '../helpers/tty.js';
import { startAuthSshd, type AuthSshd } from '../lab/auth-sshd.js';
import { testLab } from '../lab/shared.js';
import { waitFor } from '../lab/test-helpers.js';

/** Passphrase-protected keys, a real ssh-agent (forwarding, IdentitiesOnly, IdentityAgent), ProxyCommand, CertificateFile. */
const lab = () => testLab();
const PHRASE = 'correct horse battery';
let dir: string;
let keyed: AuthSshd;
let agent: ChildProcess;
let agentSock: string;
const keygen = (path: string, phrase: string) =>
  execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', phrase, '-C', 'fabts-test', '-f', path]);
const fingerprint = (pub: string) => execFileSync('ssh-keygen', ['-lf', pub], { encoding: 'utf8' }).split(' ')[1]!;

function config(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

/** web1 (the lab's own sshd) as alias `w`, with extra ssh_config lines. */
const web1 = (extra: string) => {
  const h = lab().hosts.web1!;
  return config(
    `w-${Math.random().toString(36).slice(2)}`,
    `Host w\n  HostName ${h.address}\n  Port ${h.port}\n  User fabts\n  UserKnownHostsFile ${lab().knownHosts}\n${extra}`,
  );
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'fabts-keys-'));
  chmodSync(dir, 0o755);
  keygen(join(dir, 'pp'), PHRASE);
  keygen(join(dir, 'other'), '');
  keyed = await startAuthSshd(lab(), 'web10', {
    port: 2233,
    authorizedKeys: [readFileSync(join(dir, 'pp.pub'), 'utf8').trim()],
  });
  agentSock = join(dir, 'agent.sock');
  agent = spawn('ssh-agent', ['-D', '-a', agentSock], { stdio: 'ignore' });
  await waitFor('ssh-agent socket', () => readdirSync(dir).includes('agent.sock'));
  execFileSync('ssh-add', ['-q', lab().clientKey], {
    env: { ...process.env, SSH_AUTH_SOCK: agentSock },
    stdio: 'ignore',
  });
});
afterAll(async () => {
  if (agent?.pid) process.kill(agent.pid);
  await keyed?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('passphrase-protected keys', () => {
  const cfg = () =>
    config(
      'pp.conf',
      ['a', 'b']
        .map(
          (a) =>
            `Host ${a}\n  HostName ${keyed.address}\n  Port ${keyed.port}\n  User fabts\n  IdentityFile ${dir}/pp\n  IdentitiesOnly yes\n  UserKnownHostsFile ${keyed.knownHosts}\n`,
        )
        .join(''),
    );

  it('FAB_KEY_PASSPHRASE unlocks the key; it is never shown', async () => {
    const r = await fab(['--ssh-config', cfg(), '-H', 'a', '--', 'whoami'], { env: { FAB_KEY_PASSPHRASE: PHRASE } });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('out: fabts');
    expect(readFileSync(keyed.log, 'utf8')).toContain(`Accepted publickey for fabts from`);
    expect(readFileSync(keyed.log, 'utf8')).toContain(fingerprint(`${dir}/pp.pub`));
    expect(r.stdout + r.stderr).not.toContain(PHRASE);
  });

  it('without a terminal: a clear error naming the key (kind config); a wrong FAB_KEY_PASSPHRASE says so', async () => {
    const none = await fab(['--ssh-config', cfg(), '-H', 'a', '--json', '--', 'true']);
    expect(none.code).toBe(1);
    const end = none.events.find((e) => e.type === 'run.end') as { hosts: Array<{ kind?: string; reason?: string }> };
    expect(end.hosts[0]!.kind).toBe('config');
    expect(end.hosts[0]!.reason).toContain(
      `key ${dir}/pp is passphrase-protected and no terminal to ask for its passphrase`,
    );
    expect(end.hosts[0]!.reason).toMatch(/FAB_KEY_PASSPHRASE/);
    const wrong = await fab(['--ssh-config', cfg(), '-H', 'a', '--', 'true'], {
      env: { FAB_KEY_PASSPHRASE: 'nope-nope' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toContain(`key ${dir}/pp is passphrase-protected and FAB_KEY_PASSPHRASE does not unlock it`);
  });

  it('on a terminal: asked once for the key, reused by every parallel host', async () => {
    const t = await runOnTty(`node bin/fab.js --ssh-config ${cfg()} -H a,b -P -- whoami`, {
      env: { ...process.env, SSH_AUTH_SOCK: '', FAB_KEY_PASSPHRASE: '' },
      prompt: /passphrase for key /,
      answers: [PHRASE],
    });
    expect(t.code, t.out).toBe(0);
    expect(t.out.match(/passphrase for key /g)).toHaveLength(1);
    expect(t.out).toContain(`passphrase for key ${dir}/pp`);
    expect(t.out.match(/out: fabts/g)).toHaveLength(2);
  });
});

describe('ssh-agent', () => {
  const labKey = () => fingerprint(`${lab().clientKey}.pub`);
  const list = 'ssh-add -l; echo "rc=$?"';

  it('logs in with the agent; forwards it only with -A or ForwardAgent yes', async () => {
    const env = { SSH_AUTH_SOCK: agentSock };
    const plain = await fab(['--ssh-config', web1(''), '-H', 'w', '--', list], { env });
    expect(plain.code, plain.stdout + plain.stderr).toBe(0);
    expect(plain.stdout).toMatch(/rc=2/); // no agent on the host
    expect(plain.stdout).not.toContain(labKey());
    const a = await fab(['--ssh-config', web1(''), '-H', 'w', '-A', '--', list], { env });
    expect(a.stdout).toContain(labKey());
    expect(a.stdout).toMatch(/rc=0/);
    const cfg = await fab(['--ssh-config', web1('  ForwardAgent yes\n'), '-H', 'w', '--', list], { env });
    expect(cfg.stdout).toContain(labKey());
  });

  it('IdentitiesOnly yes offers only agent keys that are named identities', async () => {
    const env = { SSH_AUTH_SOCK: agentSock };
    const only = await fab(
      ['--ssh-config', web1(`  IdentityFile ${dir}/other\n  IdentitiesOnly yes\n`), '-H', 'w', '--', 'true'],
      { env },
    );
    expect(only.code).toBe(1);
    expect(only.stdout).toMatch(/authentication failed for user fabts \(tried agent, .*\/other\)/);
    const named = await fab(
      ['--ssh-config', web1(`  IdentityFile ${lab().clientKey}.pub\n  IdentitiesOnly yes\n`), '-H', 'w', '--', 'true'],
      { env },
    );
    expect(named.code, named.stdout).toBe(0);
  });

  it('a stale SSH_AUTH_SOCK is skipped and the key file logs in', async () => {
    const r = await fab(['--ssh-config', web1(`  IdentityFile ${lab().clientKey}\n`), '-H', 'w', '--', 'hostname'], {
      env: { SSH_AUTH_SOCK: join(dir, 'gone.sock') },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('out: web1');
  });

  it('IdentityAgent picks the socket (or none)', async () => {
    const viaCfg = await fab(['--ssh-config', web1(`  IdentityAgent ${agentSock}\n`), '-H', 'w', '--', 'true']);
    expect(viaCfg.code, viaCfg.stdout).toBe(0);
    const off = await fab(
      ['--ssh-config', web1('  IdentityAgent none\n  IdentitiesOnly yes\n'), '-H', 'w', '--', 'true'],
      { env: { SSH_AUTH_SOCK: agentSock } },
    );
    expect(off.code).toBe(1);
    expect(off.stdout).toMatch(/\(tried no keys\)/);
  });
});

describe('ProxyCommand and CertificateFile', () => {
  const procsWith = (text: string) =>
    readdirSync('/proc')
      .filter((p) => /^\d+$/.test(p))
      .filter((p) => {
        try {
          return readFileSync(`/proc/${p}/cmdline`, 'utf8').replace(/\0/g, ' ').includes(text);
        } catch {
          return false;
        }
      });

  it('connects through `socat` with %h and %p, and stops it afterwards', async () => {
    const h = lab().hosts.web1!;
    const r = await fab([
      '--ssh-config',
      web1(`  IdentityFile ${lab().clientKey}\n  ProxyCommand socat - TCP:%h:%p\n`),
      '-H',
      'w',
      '--json',
      '--',
      'hostname',
    ]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.events.find((e) => e.type === 'connect')).toMatchObject({
      target: `fabts@${h.address}:${h.port} via ProxyCommand`,
    });
    expect(r.events.find((e) => e.type === 'output')).toMatchObject({ line: 'web1' });
    expect(procsWith(`socat - TCP:${h.address}:${h.port}`)).toEqual([]);
  });

  it('reaches private1 through `ssh -W` on bastion (ProxyCommand, no ProxyJump)', async () => {
    const p = lab().hosts.private1!;
    const cfg = config(
      'private.conf',
      `Host p1\n  HostName ${p.address}\n  Port ${p.port}\n  User fabts\n  IdentityFile ${lab().clientKey}\n  UserKnownHostsFile ${lab().knownHosts}\n  ProxyCommand ssh -F ${lab().sshConfig} -o BatchMode=yes -W %h:%p bastion\n`,
    );
    const r = await fab(['--ssh-config', cfg, '-H', 'p1', '--', 'hostname']);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('out: private1');
  });

  it('a failing ProxyCommand is named with its exit status and stderr', async () => {
    const r = await fab([
      '--ssh-config',
      web1("  ProxyCommand sh -c 'echo proxy says no >&2; exit 3'\n"),
      '-H',
      'w',
      '-t',
      '5',
      '--',
      'true',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/ProxyCommand sh -c .* exit 3: proxy says no/);
  });

  it('CertificateFile: refused by the ssh2 transport, naming the option and the transport that has it', async () => {
    const r = await fab([
      '--ssh-config',
      web1(`  IdentityFile ${lab().clientKey}\n  CertificateFile ${dir}/pp-cert.pub\n`),
      '-H',
      'w',
      '--json',
      '--',
      'true',
    ]);
    expect(r.code).toBe(1);
    const end = r.events.find((e) => e.type === 'run.end') as { hosts: Array<{ kind?: string; reason?: string }> };
    expect(end.hosts[0]!.kind).toBe('config');
    expect(end.hosts[0]!.reason).toMatch(
      new RegExp(`CertificateFile ${dir}/pp-cert.pub .*ssh2 transport.*use the openssh transport`),
    );
  });
});
