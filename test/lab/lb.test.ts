// nginx on lb1 and HAProxy on lb2 of an `lb: true` lab (own lab, net 15, <repo>/.fab/lab-lb), driven the
// way a fabfile would: ssh as fabts + sudo. Balancing, nginx reload after commenting out a backend,
// HAProxy drain/maint/ready over the admin socket and reload, all under load; then down and the CLI.
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from './cli.js';
import { startLab } from './lab.js';
import type { Lab } from './lab.js';
import { startLoad } from './load.js';
import { findLabProcesses, isAlive, procCmdline, sleep } from './proc.js';
import { LAB_NETS, testRunDir } from './repo.js';
import { labSsh } from './ssh.js';
import { parseHaproxyStat, readIf, spread, waitFor } from './test-helpers.js';
import { httpGet } from './webtier.js';

const DIR = testRunDir('lab-lb');
const NET = LAB_NETS.webTests;
let lab: Lab;
const ssh = async (host: string, cmd: string) => {
  const r = await labSsh(lab.state, host, cmd);
  if (r.code !== 0) throw new Error(`ssh ${host} ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout + r.stderr;
};
const lb = () => lab.state.lb!;
/** An admin socket command run on lb2 as fabts through sudo socat. */
const admin = (cmd: string) => ssh('lb2', `echo '${cmd}' | ${lb().haproxy.socketCommand}`);
const stat = async () => parseHaproxyStat(await admin('show stat'));

beforeAll(async () => {
  lab = await startLab({ dir: DIR, net: NET, web: 3, lb: true });
});
afterAll(async () => {
  await lab?.stop();
});

describe('nginx on lb1', () => {
  it('is the real nginx inside lb1, with its own root-owned config, pid file and logs', async () => {
    const master = lab.state.services!['lb1-nginx']!.pid;
    expect(procCmdline(master)).toBe('nginx: master process /usr/sbin/nginx -g daemon off;');
    expect(readlinkSync(`/proc/${master}/ns/mnt`)).toBe(readlinkSync(`/proc/${lab.host('lb1').pid}/ns/mnt`));
    const out = await ssh(
      'lb1',
      'cat /run/nginx.pid; stat -c "%U:%G %a" /etc/nginx/nginx.conf; test -w /etc/nginx/nginx.conf || echo read-only;' +
        ' grep -c "server web[0-9]*:8080;" /etc/nginx/nginx.conf; sudo nginx -t 2>&1 | tail -1',
    );
    expect(out.trim().split('\n')).toEqual([
      String(master),
      'root:root 644',
      'read-only',
      '3',
      'nginx: configuration file /etc/nginx/nginx.conf test is successful',
    ]);
    expect(readFileSync('/etc/nginx/nginx.conf', 'utf8')).not.toContain('fabts lab'); // the system's copy is untouched
  });

  it('round-robins over web1..web3', async () => {
    expect(await spread(lb().nginx.url, 30, (u) => httpGet(u))).toEqual({ web1: 10, web2: 10, web3: 10 });
    expect(readIf(join(lab.host('lb1').root, 'var/log/nginx/access.log'))).toMatch(
      new RegExp(`"GET / HTTP/1\\.1" 200 \\d+ upstream=127\\.${NET}\\.0\\.2:8080 200`),
    );
  });

  it('commenting out web2 + reload: web2 gets nothing within 1 s, and no request fails', async () => {
    const load = startLoad(lb().nginx.url, { concurrency: 4, intervalMs: 5 });
    try {
      await load.waitRequests(60);
      expect(load.counts().byBackend.web2).toBeGreaterThan(0);
      await ssh(
        'lb1',
        String.raw`sudo sed -i 's|^\( *\)server web2:8080;|\1# server web2:8080;|' /etc/nginx/nginx.conf && sudo nginx -t 2>/dev/null && ${lb().nginx.reload}`,
      );
      await sleep(1000);
      const after = load.mark();
      await load.waitRequests(100);
      const since = load.countsSince(after);
      expect(since.byBackend.web2 ?? 0).toBe(0);
      expect(since.byBackend.web1).toBeGreaterThan(20);
      expect(since.byBackend.web3).toBeGreaterThan(20);
      // back in: uncomment + reload
      await ssh(
        'lb1',
        String.raw`sudo sed -i 's|^\( *\)# server web2:8080;|\1server web2:8080;|' /etc/nginx/nginx.conf && ${lb().nginx.reload}`,
      );
      await sleep(1000);
      const back = load.mark();
      await load.waitRequests(60);
      expect(load.countsSince(back).byBackend.web2).toBeGreaterThan(10);
    } finally {
      const total = await load.stop();
      expect(total.errors).toEqual([]);
      expect(total.failed).toBe(0);
      expect(total.total).toBeGreaterThan(200);
    }
  });

  it('fails over without errors when a web host goes down (proxy_next_upstream)', async () => {
    const load = startLoad(lb().nginx.url, { concurrency: 3, intervalMs: 5 });
    try {
      await load.waitRequests(30);
      await lab.stopHost('web3');
      const down = load.mark();
      await load.waitRequests(60);
      expect(load.countsSince(down).byBackend.web3 ?? 0).toBe(0);
      await lab.startHost('web3');
    } finally {
      expect((await load.stop()).failed).toBe(0);
    }
  });
});

describe('HAProxy on lb2', () => {
  it('runs master-worker inside lb2 with a root-only admin socket and a root-owned config', async () => {
    const master = lab.state.services!['lb2-haproxy']!.pid;
    expect(procCmdline(master)).toBe('/usr/sbin/haproxy -W -db -f /etc/haproxy/haproxy.cfg');
    expect(readlinkSync(`/proc/${master}/ns/mnt`)).toBe(readlinkSync(`/proc/${lab.host('lb2').pid}/ns/mnt`));
    const out = await ssh(
      'lb2',
      'cat /run/haproxy.pid; stat -c "%U:%G %a" /etc/haproxy/haproxy.cfg /run/haproxy/admin.sock; sudo haproxy -c -f /etc/haproxy/haproxy.cfg',
    );
    expect(out.trim().split('\n')).toEqual([
      String(master),
      'root:root 644',
      'root:root 600',
      'Configuration file is valid',
    ]);
    const noSudo = await labSsh(
      lab.state,
      'lb2',
      "echo 'show info' | socat stdio unix-connect:/run/haproxy/admin.sock",
    );
    expect(noSudo.stderr).toContain('Permission denied');
  });

  it('balances round robin over web1..web3, all UP by their health checks', async () => {
    // (web3 was down for a moment in the nginx tests: wait for HAProxy's checks to see it UP again)
    for (let i = 0; ; i++) {
      const s = await stat();
      if (['web1', 'web2', 'web3'].every((h) => s[h]?.status === 'UP' && s[h]?.check_status === 'L7OK')) break;
      if (i > 20) throw new Error(`servers not UP: ${JSON.stringify(s)}`);
      await sleep(250);
    }
    expect(await spread(lb().haproxy.url, 30, (u) => httpGet(u))).toEqual({ web1: 10, web2: 10, web3: 10 });
  });

  it('drain keeps sessions in flight but takes no new ones; maint removes web2; ready brings it back', async () => {
    // One slow request per server (round robin), in flight while web2 is drained. 8 s: long enough to
    // outlast the steps below on a loaded 2-core machine (3 s did not always).
    const slow = Promise.all([1, 2, 3].map(() => httpGet(`${lb().haproxy.url}slow?ms=8000`, 15_000)));
    const scur = async () =>
      Object.fromEntries(
        Object.entries(await stat())
          .filter(([k]) => k.startsWith('web'))
          .map(([k, v]) => [k, v.scur]),
      );
    for (
      const end = Date.now() + 5000;
      JSON.stringify(await scur()) !== '{"web1":"1","web2":"1","web3":"1"}';
      await sleep(20)
    ) {
      if (Date.now() > end) expect(await scur()).toEqual({ web1: '1', web2: '1', web3: '1' });
    }
    const load = startLoad(lb().haproxy.url, { concurrency: 4, intervalMs: 5 });
    try {
      await load.waitRequests(30);
      expect(await admin('set server app/web2 state drain')).toBe('\n');
      const drained = load.mark();
      const s = await stat();
      expect(s.web2).toMatchObject({ status: 'DRAIN', scur: '1' }); // the slow session is still on web2
      await load.waitRequests(60);
      expect(load.countsSince(drained).byBackend.web2 ?? 0).toBe(0);
      expect((await slow).map((r) => r.body.split(' ')[0]).sort()).toEqual(['web1', 'web2', 'web3']); // it finished fine
      expect((await stat()).web2!.scur).toBe('0');

      expect(await admin('set server app/web2 state maint')).toBe('\n');
      const maint = load.mark();
      expect((await stat()).web2!.status).toBe('MAINT');
      await load.waitRequests(60);
      expect(load.countsSince(maint).byBackend.web2 ?? 0).toBe(0);

      expect(await admin('set server app/web2 state ready')).toBe('\n');
      await sleep(200);
      const ready = load.mark();
      await load.waitRequests(60);
      expect(load.countsSince(ready).byBackend.web2).toBeGreaterThan(10);
      expect((await stat()).web2!.status).toBe('UP');
    } finally {
      const total = await load.stop();
      expect(total.errors).toEqual([]);
      expect(total.failed).toBe(0);
    }
  });

  it('reload (USR2 to the master) applies a new config and keeps serving', async () => {
    const master = lab.state.services!['lb2-haproxy']!.pid;
    const workers = () =>
      findLabProcesses(DIR)
        .get('lb2')!
        .filter((p) => p !== master && procCmdline(p).startsWith('/usr/sbin/haproxy'));
    const [oldWorker] = workers();
    const load = startLoad(lb().haproxy.url, { concurrency: 4, intervalMs: 5 });
    try {
      await load.waitRequests(30);
      await ssh(
        'lb2',
        String.raw`sudo sed -i 's|^\( *\)server web2 |\1# server web2 |' /etc/haproxy/haproxy.cfg && ${lb().haproxy.check} >/dev/null && ${lb().haproxy.reload}`,
      );
      await waitFor('the old worker to exit', () => !isAlive(oldWorker!), 5000);
      const after = load.mark();
      await load.waitRequests(60);
      expect(load.countsSince(after).byBackend.web2 ?? 0).toBe(0);
      await ssh(
        'lb2',
        String.raw`sudo sed -i 's|^\( *\)# server web2 |\1server web2 |' /etc/haproxy/haproxy.cfg && ${lb().haproxy.reload}`,
      );
      await sleep(500);
      const back = load.mark();
      await load.waitRequests(60);
      expect(load.countsSince(back).byBackend.web2).toBeGreaterThan(10);
    } finally {
      const total = await load.stop();
      expect(total.errors).toEqual([]);
      expect(total.failed).toBe(0);
    }
    expect(isAlive(master, lab.state.services!['lb2-haproxy']!.startTime)).toBe(true); // same master, new workers
    expect(workers()).toHaveLength(1);
    expect(Number(await ssh('lb2', 'cat /run/haproxy.pid'))).toBe(master);
  });
});

describe('LB hosts going down and back', () => {
  it('startHost after stopHost starts nginx on lb1 and HAProxy on lb2 again (like a reboot)', async () => {
    const old = [lab.state.services!['lb1-nginx']!.pid, lab.state.services!['lb2-haproxy']!.pid];
    await Promise.all([lab.stopHost('lb1'), lab.stopHost('lb2')]);
    expect(old.filter((p) => isAlive(p))).toEqual([]);
    for (const url of [lb().nginx.url, lb().haproxy.url]) expect((await httpGet(url)).error).toBe('ECONNREFUSED');
    await lab.startHost('lb1');
    await lab.startHost('lb2');
    expect(await spread(lb().nginx.url, 3, (u) => httpGet(u))).toEqual({ web1: 1, web2: 1, web3: 1 });
    expect(Object.keys(await spread(lb().haproxy.url, 3, (u) => httpGet(u))).sort()).toEqual(['web1', 'web2', 'web3']);
    expect(Number(await ssh('lb1', 'cat /run/nginx.pid'))).toBe(lab.state.services!['lb1-nginx']!.pid);
    expect((await admin('show info')).split('\n')[0]).toBe('Name: HAProxy');
  });
});

describe('down', () => {
  it('stop() leaves no process of the lab: sshd, supervisors, apps, nginx and HAProxy with their workers', async () => {
    const inHosts = [...findLabProcesses(DIR).values()].flat();
    const pids = [
      ...inHosts,
      ...Object.values(lab.state.services ?? {}).map((s) => s.pid),
      ...Object.values(lab.state.hosts).map((h) => h.pid),
    ];
    const names = new Set(inHosts.map((p) => procCmdline(p).split(' ')[0]!.replace(/:$/, '')));
    for (const n of ['sshd', 'nginx', '/usr/sbin/haproxy', '/usr/bin/node'])
      expect([...names].some((x) => x.endsWith(n))).toBe(true);
    await lab.stop();
    expect(pids.filter((p) => isAlive(p))).toEqual([]);
    expect(findLabProcesses(DIR).size).toBe(0);
    for (const url of [`http://127.${NET}.0.4/`, `http://127.${NET}.0.5/`, `http://127.${NET}.0.1:8080/`])
      expect((await httpGet(url)).error).toBe('ECONNREFUSED');
  });

  it('CLI: up --lb, status, down', async () => {
    const dir = testRunDir('lab-lb-cli');
    const lines: string[] = [];
    const out = (l: string) => lines.push(l);
    expect(await main(['up', '--dir', dir, '--net', String(NET), '--web', '2', '--lb'], out)).toBe(0);
    const state = JSON.parse(readFileSync(join(dir, 'lab.json'), 'utf8'));
    try {
      expect(await main(['status', '--dir', dir], out)).toBe(0);
      expect(lines.join('\n')).toMatch(
        new RegExp(
          `lb1\\s+127\\.${NET}\\.0\\.3:2222\\s+lb\\s+\\d+\\s+up[\\s\\S]*nginx\\s+http://127\\.${NET}\\.0\\.3/[\\s\\S]*haproxy\\s+http://127\\.${NET}\\.0\\.4/`,
        ),
      );
      expect(await spread(state.lb.nginx.url, 4, (u) => httpGet(u))).toEqual({ web1: 2, web2: 2 });
      expect(await spread(state.lb.haproxy.url, 4, (u) => httpGet(u))).toEqual({ web1: 2, web2: 2 });
    } finally {
      expect(await main(['down', '--dir', dir], out)).toBe(0);
    }
    for (const s of Object.values(state.services) as Array<{ pid: number }>) expect(isAlive(s.pid)).toBe(false);
    expect(findLabProcesses(dir).size).toBe(0);
  });
});
