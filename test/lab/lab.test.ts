// The lab's hosts behave like separate machines, as seen by the real OpenSSH client.
// Uses its own small lab (net 13) in <repo>/.fab/lab-unit; lab-lifecycle.test.ts covers faults and stop.
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startLab } from './lab.js';
import type { Lab } from './lab.js';
import { run } from './proc.js';
import { LAB_NETS, testRunDir } from './repo.js';
import { labSsh } from './ssh.js';
import type { LabSshOptions } from './ssh.js';
import { knownHostFingerprints, tcpProbe } from './test-helpers.js';

const DIR = testRunDir('lab-unit');
const NET = LAB_NETS.labTests;
let lab: Lab;
const ssh = (host: string, cmd: string, o?: LabSshOptions) => labSsh(lab.state, host, cmd, o);

beforeAll(async () => {
  lab = await startLab({
    dir: DIR,
    net: NET,
    web: 3,
    jump: true,
    extraHosts: [{ name: 'lb1', roles: ['lb'], binds: ['/etc/nginx'] }],
  });
});
afterAll(async () => {
  await lab?.stop();
});

describe('lab files', () => {
  it('writes lab.json (mode 0600) with every host, its roles, address, pid and host key fingerprint', async () => {
    const file = join(DIR, 'lab.json');
    expect(statSync(file).mode & 0o777).toBe(0o600);
    const s = JSON.parse(readFileSync(file, 'utf8'));
    expect(s).toEqual(lab.state);
    expect(s).toMatchObject({
      dir: DIR,
      net: NET,
      user: 'fabts',
      sudoUser: 'fabtspw',
      netns: [`fabts${NET}-bastion`, `fabts${NET}-private1`],
    });
    expect(s.sudoPassword).toMatch(/^\S{16,}$/);
    expect(Object.keys(s.hosts).sort()).toEqual(['bastion', 'lb1', 'private1', 'web1', 'web2', 'web3']);
    expect(s.hosts.web1).toMatchObject({
      address: `127.${NET}.0.1`,
      port: 2222,
      roles: ['web'],
      root: join(DIR, 'hosts/web1/root'),
    });
    expect(s.hosts.web3.address).toBe(`127.${NET}.0.3`);
    expect(s.hosts.lb1).toMatchObject({ address: `127.${NET}.0.4`, roles: ['lb'] });
    expect(s.hosts.bastion).toMatchObject({ address: `10.${NET}.1.2`, roles: ['bastion'] });
    expect(s.hosts.private1).toMatchObject({ address: `10.${NET}.2.2`, jump: 'bastion' });
    expect(s.hosts.web1.jump).toBeUndefined();
    for (const h of Object.values(lab.state.hosts)) {
      expect(readFileSync(`/proc/${h.pid}/cmdline`, 'utf8')).toContain('sshd');
    }
    // fingerprints as ssh-keygen computes them from known_hosts (one line per host)
    const fps = await knownHostFingerprints(lab.state.knownHosts);
    expect(Object.keys(fps)).toHaveLength(6);
    for (const h of Object.values(lab.state.hosts)) expect(fps[`[${h.address}]:2222`]).toBe(h.hostKeyFingerprint);
  });

  it('writes an ssh_config with strict checking, and ProxyJump only for private1', () => {
    const cfg = readFileSync(lab.state.sshConfig, 'utf8');
    const blocks = Object.fromEntries(
      cfg
        .split(/\n(?=Host )/)
        .slice(1)
        .map((b) => [b.split('\n')[0]!.slice(5), b]),
    );
    expect(Object.keys(blocks).sort()).toEqual(['bastion', 'lb1', 'private1', 'web1', 'web2', 'web3']);
    for (const [name, b] of Object.entries(blocks)) {
      expect(b).toContain(`HostName ${lab.state.hosts[name]!.address}\n`);
      expect(b).toContain('User fabts\n');
      expect(b).toContain(`IdentityFile ${lab.state.clientKey}\n`);
      expect(b).toContain(`UserKnownHostsFile ${lab.state.knownHosts}\n`);
      expect(b).toContain('StrictHostKeyChecking yes\n');
      expect(b).toContain('IdentitiesOnly yes\n');
      expect(b.includes('ProxyJump bastion')).toBe(name === 'private1');
    }
  });
});

describe('hosts', () => {
  it('each host prints its own name from hostname and /etc/hostname, and resolves lab names', async () => {
    const names = Object.keys(lab.state.hosts);
    const results = await Promise.all(
      names.map((n) => ssh(n, 'hostname; cat /etc/hostname; getent hosts web2 private1')),
    );
    results.forEach((r, i) => {
      expect(r.stderr).toBe('');
      const [h, etc, ...hosts] = r.stdout.trim().split('\n');
      expect([h, etc]).toEqual([names[i], names[i]]);
      expect(hosts.map((l) => l.split(/\s+/).join(' '))).toEqual([`127.${NET}.0.2 web2`, `10.${NET}.2.2 private1`]);
    });
    expect(readFileSync('/etc/hostname', 'utf8').trim()).not.toMatch(/^(web\d|lb1|bastion|private1)$/);
  });

  it('/srv is per host, owned by fabts (edits without sudo) and world-readable', async () => {
    const tag = `t${Date.now()}`;
    const w1 = await ssh('web1', `echo ${tag} > /srv/only-on-web1 && stat -c '%U %a' /srv && cat /srv/only-on-web1`);
    expect(w1.stdout.trim().split('\n')).toEqual(['fabts 755', tag]);
    const w2 = await ssh('web2', 'test -e /srv/only-on-web1; echo $?');
    expect(w2.stdout.trim()).toBe('1');
    expect(readFileSync(join(lab.state.hosts.web1!.root, 'srv/only-on-web1'), 'utf8').trim()).toBe(tag);
    expect(existsSync('/srv/only-on-web1')).toBe(false);
  });

  it('extra bind paths are per host and seeded from the system copy', async () => {
    const tag = `nginx-${Date.now()}`;
    writeFileSync(join(lab.state.hosts.lb1!.root, 'etc/nginx/lab-marker'), `${tag}\n`);
    const lb = await ssh('lb1', 'cat /etc/nginx/lab-marker; test -f /etc/nginx/nginx.conf && echo seeded');
    expect(lb.stdout.trim().split('\n')).toEqual([tag, 'seeded']);
    const web = await ssh('web1', 'test -e /etc/nginx/lab-marker; echo $?');
    expect(web.stdout.trim()).toBe('1');
    expect(existsSync('/etc/nginx/lab-marker')).toBe(false);
  });

  it('fabts has passwordless sudo', async () => {
    const r = await ssh('web1', 'sudo -n true && sudo -n id -u');
    expect(r).toMatchObject({ code: 0, stdout: '0\n' });
  });

  it('fabtspw needs its password for sudo, and sudo -S with it works', async () => {
    const u = { user: 'fabtspw' };
    const noPw = await ssh('web2', 'id -un; sudo -n true', u);
    expect(noPw.stdout.trim()).toBe('fabtspw');
    expect(noPw.code).not.toBe(0);
    expect(noPw.stderr).toContain('a password is required');
    const ok = await ssh('web2', 'sudo -S -p X id -u', { ...u, input: `${lab.state.sudoPassword}\n` });
    expect(ok).toMatchObject({ code: 0, stdout: '0\n' });
    const bad = await ssh('web2', 'sudo -S -p X id -u', { ...u, input: 'wrong-password\n' });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout).toBe('');
  });
});

describe('host keys', () => {
  it('strict host key checking passes with the generated known_hosts', async () => {
    const r = await ssh('web3', 'true');
    expect(r).toMatchObject({ code: 0, stderr: '' });
  });

  it("fails with an empty known_hosts, and with another host's key", async () => {
    const empty = join(DIR, 'empty_known_hosts');
    writeFileSync(empty, '');
    const r = await ssh('web1', 'true', { args: ['-o', `UserKnownHostsFile=${empty}`] });
    expect(r.code).toBe(255);
    expect(r.stderr).toContain('Host key verification failed');
    // web2's key recorded for web1's address: each host really has its own key
    const lines = readFileSync(lab.state.knownHosts, 'utf8').split('\n');
    const web2Key = lines
      .find((l) => l.startsWith(`[127.${NET}.0.2]:2222 `))!
      .split(' ')
      .slice(1)
      .join(' ');
    const wrong = join(DIR, 'wrong_known_hosts');
    writeFileSync(wrong, `[127.${NET}.0.1]:2222 ${web2Key}\n`);
    const w = await ssh('web1', 'true', { args: ['-o', `UserKnownHostsFile=${wrong}`] });
    expect(w.code).toBe(255);
    expect(w.stderr).toContain('REMOTE HOST IDENTIFICATION HAS CHANGED');
  });
});

describe('jump topology', () => {
  it('private1 is reached through bastion (ssh_config ProxyJump and ssh -J)', async () => {
    const viaConfig = await ssh('private1', 'hostname; echo $SSH_CONNECTION');
    expect(viaConfig.code).toBe(0);
    const [name, conn] = viaConfig.stdout.trim().split('\n');
    expect(name).toBe('private1');
    expect(conn!.split(' ')[0]).toBe(`10.${NET}.2.1`); // the connection comes from bastion's side of the link
    const viaJ = await ssh('private1', 'hostname', { args: ['-J', 'bastion'] });
    expect(viaJ).toMatchObject({ code: 0, stdout: 'private1\n' });
  });

  it('a direct connection to private1 fails; bastion is directly reachable', async () => {
    const direct = await ssh('private1', 'true', { args: ['-o', 'ProxyJump=none'] });
    expect(direct.code).toBe(255);
    expect(direct.stderr).toMatch(/No route to host|Network is unreachable/);
    expect(await tcpProbe(`10.${NET}.2.2`, 2222)).toBe('EHOSTUNREACH');
    expect(await tcpProbe(`10.${NET}.1.2`, 2222)).toMatch(/^banner:SSH-2\.0-/);
    const b = await ssh('bastion', 'hostname');
    expect(b.stdout).toBe('bastion\n');
  });

  it("bastion and private1 run in the lab's own network namespaces", async () => {
    const ns = await run('ip', ['netns', 'list']);
    expect(ns.stdout).toContain(`fabts${NET}-bastion`);
    expect(ns.stdout).toContain(`fabts${NET}-private1`);
    const r = await ssh('private1', "ip -o -4 addr show | awk '{print $4}' | sort");
    expect(r.stdout.trim().split('\n')).toEqual([`10.${NET}.2.2/24`, '127.0.0.1/8']);
  });
});
