// Lab lifecycle and fault injection: stopHost/startHost, pauseHost/resumeHost, spawnInHost, stale cleanup,
// stop(), the CLI, 50 hosts, a host that cannot start, the shared globalSetup lab and setup-system.sh.
import { existsSync, readFileSync, readlinkSync, statSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { loadLab, startLab } from './lab.js';
import type { Lab } from './lab.js';
import { findLabProcesses, isAlive, run } from './proc.js';
import { LAB_NETS, repoRoot, testRunDir } from './repo.js';
import { testLab, testLabHandle } from './shared.js';
import { labSsh } from './ssh.js';
import { openSession, readIf, tcpProbe, waitFor } from './test-helpers.js';
import { httpGet } from './webtier.js';

const ROOT = repoRoot();
const DIR = testRunDir('lab-unit');
const NET = LAB_NETS.labTests;
const OPTS = { dir: DIR, net: NET, web: 3, jump: true };
let lab: Lab;
const ssh = (host: string, cmd: string, args: string[] = []) => labSsh(lab.state, host, cmd, { args });
const allPids = (l: Lab) => [
  ...Object.values(l.state.hosts).map((h) => h.pid),
  ...Object.values(l.state.services ?? {}).map((s) => s.pid),
];

beforeAll(async () => {
  lab = await startLab(OPTS);
});
afterAll(async () => {
  await lab?.stop();
});

describe('fault injection', () => {
  it('stopHost makes connections refused and ends sessions; startHost brings the same host key back', async () => {
    const { pid, hostKeyFingerprint } = lab.host('web3');
    const session = await openSession(lab.state, 'web3');
    await lab.stopHost('web3');
    expect(isAlive(pid)).toBe(false);
    expect(await session.exited).toBe(255); // the host went down under the session
    expect(lab.host('web3').pid).toBe(0);
    expect(JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')).hosts.web3.pid).toBe(0);
    expect(await tcpProbe(`127.${NET}.0.3`, 2222)).toBe('ECONNREFUSED');
    const refused = await ssh('web3', 'true');
    expect(refused.code).toBe(255);
    expect(refused.stderr).toContain('Connection refused');
    expect((await ssh('web2', 'hostname')).stdout).toBe('web2\n'); // the others are unaffected

    await lab.startHost('web3');
    const h = lab.host('web3');
    expect(h.pid).not.toBe(pid);
    expect(isAlive(h.pid)).toBe(true);
    expect(h.hostKeyFingerprint).toBe(hostKeyFingerprint);
    const back = await ssh('web3', 'hostname'); // StrictHostKeyChecking yes with the unchanged known_hosts
    expect(back).toMatchObject({ code: 0, stdout: 'web3\n', stderr: '' });
  });

  it('stopHost and startHost work for the netns hosts too', async () => {
    await lab.stopHost('private1');
    const down = await ssh('private1', 'true');
    expect(down.code).toBe(255);
    await lab.startHost('private1');
    expect((await ssh('private1', 'hostname')).stdout).toBe('private1\n');
  });

  it('pauseHost hangs sshd (TCP accepted, no banner); resumeHost recovers', async () => {
    await lab.pauseHost('web2');
    try {
      expect(await tcpProbe(`127.${NET}.0.2`, 2222, 800)).toBe('no-banner');
      const hung = await ssh('web2', 'true', ['-o', 'ConnectTimeout=2']);
      expect(hung.code).toBe(255);
      expect(hung.stderr).toMatch(/timed out/);
    } finally {
      await lab.resumeHost('web2');
    }
    expect((await ssh('web2', 'hostname')).stdout).toBe('web2\n');
  });

  it('spawnInHost runs a detached service inside the host namespaces and records it', async () => {
    const svc = await lab.spawnInHost(
      'web2',
      ['/bin/sh', '-c', 'hostname > /srv/svc-host; pwd >> /srv/svc-host; exec sleep 600'],
      { name: 'sleeper', cwd: '/srv' },
    );
    const web2 = lab.host('web2');
    const out = await waitFor(
      'service output',
      () => readIf(join(web2.root, 'srv/svc-host'))?.includes('\n/srv') && readIf(join(web2.root, 'srv/svc-host')),
    );
    expect(out).toBe('web2\n/srv\n');
    expect(readlinkSync(`/proc/${svc.pid}/ns/mnt`)).toBe(readlinkSync(`/proc/${web2.pid}/ns/mnt`));
    expect(readlinkSync(`/proc/${svc.pid}/ns/uts`)).toBe(readlinkSync(`/proc/${web2.pid}/ns/uts`));
    expect(JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8')).services.sleeper).toMatchObject({
      pid: svc.pid,
      host: 'web2',
    });
    expect((await ssh('web2', `ps -o args= -p ${svc.pid}`)).stdout.trim()).toBe('sleep 600');
    await lab.stopService('sleeper');
    expect(isAlive(svc.pid)).toBe(false);
    expect(lab.state.services?.sleeper).toBeUndefined();

    // netns host: the service shares the network namespace (default for bastion/private1)
    const p = await lab.spawnInHost('private1', ['/bin/sh', '-c', 'ip -o -4 addr show > /srv/addrs; exec sleep 600']);
    expect(readlinkSync(`/proc/${p.pid}/ns/net`)).toBe(readlinkSync(`/proc/${lab.host('private1').pid}/ns/net`));
    const addrsFile = join(lab.host('private1').root, 'srv/addrs');
    const addrs = await waitFor('addrs', () => readIf(addrsFile)?.includes('10.') && readIf(addrsFile));
    expect(addrs).toContain(`10.${NET}.2.2/24`);
    expect(addrs).not.toContain(`10.${NET}.1.`); // not bastion's or the root namespace's interfaces
    expect(isAlive(p.pid)).toBe(true); // left running: stop() below must kill it
  });
});

describe('lifecycle', () => {
  it('loadLab attaches to the running lab', async () => {
    const other = await loadLab(DIR);
    expect(other.state).toEqual(lab.state);
    expect(other.isRunning('web1')).toBe(true);
  });

  it('startLab on the same dir cleans up the stale lab first', async () => {
    const old = allPids(lab);
    expect(old.length).toBe(6); // 5 sshd + the private1 service
    for (const p of old) expect(isAlive(p)).toBe(true);
    lab = await startLab(OPTS);
    for (const p of old) expect(isAlive(p)).toBe(false);
    for (const h of Object.values(lab.state.hosts)) expect(isAlive(h.pid)).toBe(true);
    expect((await ssh('private1', 'hostname')).stdout).toBe('private1\n');
  });

  it('stop() leaves none of its processes running and removes its netns and routes', async () => {
    await lab.spawnInHost('bastion', ['sleep', '600'], { name: 'bastion-sleep' });
    const session = await openSession(lab.state, 'web1');
    const pids = allPids(lab);
    expect(pids.length).toBe(6);
    expect(findLabProcesses(DIR).get('web1')?.length).toBeGreaterThan(1); // sshd + session processes
    await lab.stop();
    for (const p of pids) expect(isAlive(p)).toBe(false);
    expect(await session.exited).toBe(255);
    expect(findLabProcesses(DIR).size).toBe(0);
    expect((await run('ip', ['netns', 'list'])).stdout).not.toMatch(new RegExp(`fabts${NET}-`));
    expect((await run('ip', ['link', 'show', `fl${NET}-rb`])).code).not.toBe(0);
    expect((await run('ip', ['route', 'show', 'type', 'unreachable'])).stdout).not.toContain(`10.${NET}.2.0/24`);
    expect(existsSync(join(DIR, 'lab.json'))).toBe(false);
    expect(await tcpProbe(`127.${NET}.0.1`, 2222)).toBe('ECONNREFUSED');
  });

  it('reports a host that cannot start, with the tail of its sshd.log, and leaves nothing behind', async () => {
    const busy = createServer().listen(2222, `127.${NET}.0.9`);
    await new Promise((r) => busy.once('listening', r));
    const dir = testRunDir('lab-unit-fail');
    try {
      await expect(
        startLab({ dir, net: NET, web: 1, extraHosts: [{ name: 'busy', address: `127.${NET}.0.9` }] }),
      ).rejects.toThrow(
        new RegExp(
          `host busy \\(127\\.${NET}\\.0\\.9:2222\\) failed to start[\\s\\S]*tail of .*sshd\\.log[\\s\\S]*Address already in use`,
        ),
      );
    } finally {
      busy.close();
    }
    expect(findLabProcesses(dir).size).toBe(0);
    expect(await tcpProbe(`127.${NET}.0.1`, 2222)).toBe('ECONNREFUSED'); // web1 was stopped again
  });

  // Its start-up time is printed (and measured in bench/), not asserted: a loaded machine must not fail it.
  it('starts and stops 50 hosts', async () => {
    const dir = testRunDir('lab-unit-50');
    const t0 = performance.now();
    const big = await startLab({ dir, net: NET, web: 50 });
    const up = performance.now() - t0;
    try {
      expect(Object.keys(big.state.hosts)).toHaveLength(50);
      expect((await labSsh(big.state, 'web50', 'hostname')).stdout).toBe('web50\n');
    } finally {
      const t1 = performance.now();
      await big.stop();
      console.log(`[lab] 50 hosts: up ${Math.round(up)} ms, down ${Math.round(performance.now() - t1)} ms`);
    }
    expect(findLabProcesses(dir).size).toBe(0);
  });

  it('CLI: up, status and down', async () => {
    const dir = testRunDir('lab-unit-cli');
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    expect(
      await main(['up', '--dir', dir, '--net', String(NET), '--web', '2', '--host', 'lb1:lb,edge:/etc/haproxy'], out),
    ).toBe(0);
    expect(await main(['status', '--dir', dir], out)).toBe(0);
    const status = lines.join('\n');
    expect(status).toMatch(new RegExp(`web2\\s+127\\.${NET}\\.0\\.2:2222\\s+web\\s+\\d+\\s+up`));
    expect(status).toMatch(new RegExp(`lb1\\s+127\\.${NET}\\.0\\.3:2222\\s+lb,edge\\s+\\d+\\s+up`));
    const state = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'));
    expect(statSync(join(state.hosts.lb1.root, 'etc/haproxy')).isDirectory()).toBe(true);
    expect(await main(['down', '--dir', dir], out)).toBe(0);
    expect(await main(['status', '--dir', dir], out)).toBe(3);
    expect(isAlive(state.hosts.web1.pid)).toBe(false);
  });
});

describe('shared lab and system setup', () => {
  it('the globalSetup lab (net 12, web1..web10, lb1, lb2 + jump hosts, the web tier) is up', async () => {
    const s = testLab();
    expect(s.net).toBe(LAB_NETS.test);
    const web = Array.from({ length: 10 }, (_, i) => `web${i + 1}`);
    expect(Object.keys(s.hosts).sort()).toEqual(['bastion', 'lb1', 'lb2', 'private1', ...web].sort());
    expect((await labSsh(s, 'web10', 'hostname')).stdout).toBe('web10\n');
    expect((await labSsh(s, 'private1', 'hostname')).stdout).toBe('private1\n');
    expect(testLabHandle().isRunning('web1')).toBe(true);
    const fronted = ['web1', 'web2', 'web3'];
    expect(s.lb).toMatchObject({
      nginx: { host: 'lb1', backends: fronted },
      haproxy: { host: 'lb2', backends: fronted },
      app: { hosts: web },
    });
    expect([s.hosts.lb1!.lbKind, s.hosts.lb2!.lbKind]).toEqual(['nginx', 'haproxy']);
    // Other test files deploy new releases to the shared lab: any version, but each host answers as itself.
    for (const h of web)
      expect(await httpGet(s.hosts[h]!.appUrl!)).toMatchObject({
        status: 200,
        body: expect.stringMatching(new RegExp(`^${h} v\\S+\n$`)),
      });
    for (const url of [s.lb!.nginx.url, s.lb!.haproxy.url])
      expect((await httpGet(url)).body).toMatch(/^web\d+ v\S+\n$/);
  });

  // How fast it is belongs to a benchmark, not to a test that a loaded machine can fail.
  it('scripts/setup-system.sh is a no-op when everything is present', async () => {
    const r = await run('bash', [join(ROOT, 'scripts/setup-system.sh')]);
    expect(r).toMatchObject({ code: 0, stdout: '', stderr: '' });
    expect(statSync('/etc/sudoers.d/fabts-lab').mode & 0o777).toBe(0o440);
    expect((await run('visudo', ['-cf', '/etc/sudoers.d/fabts-lab'])).code).toBe(0);
    expect((await run('getent', ['shadow', 'fabts'])).stdout.split(':')[1]).not.toMatch(/^!/);
  });
});
