// The app and its supervisor on the web hosts of an `lb: true` lab (own lab, net 15, <repo>/.fab/lab-lb-app):
// lab.json, the release layout, every host answering as itself, restarts onto a new release over ssh,
// bad and crashing releases, and a host coming back after stopHost/startHost.
import { readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildAppTarball } from './app.js';
import { startLab } from './lab.js';
import type { Lab } from './lab.js';
import { isAlive, run, sleep } from './proc.js';
import { LAB_NETS, testRunDir } from './repo.js';
import { labSsh } from './ssh.js';
import { readIf, waitFor } from './test-helpers.js';
import { httpGet, waitAppVersion, waitHttp } from './webtier.js';

const DIR = testRunDir('lab-lb-app');
const NET = LAB_NETS.webTests;
const WEB = ['web1', 'web2', 'web3'];
let lab: Lab;
const ssh = async (host: string, cmd: string) => {
  const r = await labSsh(lab.state, host, cmd);
  if (r.code !== 0) throw new Error(`ssh ${host} ${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const appUrl = (h: string) => lab.host(h).appUrl!;
const appPid = (h: string) => Number(readIf(join(lab.host(h).root, 'srv/app/shared/app.pid')));

/** Upload a release tarball the way a deploy does (scp + tar as fabts) and make it current; no restart. */
async function deploy(host: string, tgz: string, version: string): Promise<void> {
  const up = await run('scp', [
    '-F',
    lab.state.sshConfig,
    '-o',
    'BatchMode=yes',
    tgz,
    `${host}:/tmp/app-${version}.tgz`,
  ]);
  expect(up.stderr).toBe('');
  await ssh(
    host,
    `set -e; d=/srv/app/releases/${version}; rm -rf $d; mkdir -p $d; tar -xzf /tmp/app-${version}.tgz -C $d;` +
      ` ln -sfn $d /srv/app/current.new && mv -T /srv/app/current.new /srv/app/current`,
  );
}

beforeAll(async () => {
  const t0 = performance.now();
  lab = await startLab({ dir: DIR, net: NET, web: 3, lb: true });
  console.log(`[lab] lb lab (3 web + lb1 + lb2, apps, nginx, haproxy) up in ${Math.round(performance.now() - t0)} ms`);
});
afterAll(async () => {
  await lab?.stop();
});

describe('web tier in lab.json', () => {
  it("records the LBs, the app and each host's services", () => {
    const s = JSON.parse(readFileSync(join(DIR, 'lab.json'), 'utf8'));
    expect(s.lb).toMatchObject({
      nginx: {
        host: 'lb1',
        kind: 'nginx',
        url: `http://127.${NET}.0.4/`,
        conf: '/etc/nginx/nginx.conf',
        reload: 'sudo nginx -s reload',
        backends: WEB,
      },
      haproxy: {
        host: 'lb2',
        kind: 'haproxy',
        url: `http://127.${NET}.0.5/`,
        conf: '/etc/haproxy/haproxy.cfg',
        socket: '/run/haproxy/admin.sock',
        backend: 'app',
        backends: WEB,
      },
      app: {
        port: 8080,
        root: '/srv/app',
        user: 'fabts',
        hosts: WEB,
        restart: 'sudo kill -HUP $(cat /run/fab-app.pid)',
        initialVersion: 'v1',
      },
    });
    expect(s.hosts.lb1).toMatchObject({
      roles: ['lb'],
      lbKind: 'nginx',
      services: { 'lb1-nginx': s.services['lb1-nginx'].pid },
    });
    expect(s.hosts.lb2).toMatchObject({
      roles: ['lb'],
      lbKind: 'haproxy',
      services: { 'lb2-haproxy': s.services['lb2-haproxy'].pid },
    });
    for (const h of WEB) {
      expect(s.hosts[h]).toMatchObject({
        roles: ['web'],
        appUrl: `http://${s.hosts[h].address}:8080/`,
        services: { [`${h}-app`]: s.services[`${h}-app`].pid },
      });
      expect(s.hosts[h].lbKind).toBeUndefined();
    }
    for (const svc of Object.values(s.services) as Array<{ pid: number; startTime: number }>)
      expect(isAlive(svc.pid, svc.startTime)).toBe(true);
  });

  it('installs release v1 under /srv/app, owned by fabts; the supervisor runs as root, the app as fabts', async () => {
    const out = await ssh(
      'web2',
      'readlink /srv/app/current; cat /srv/app/current/VERSION; ls /srv/app/current;' +
        ' stat -c %U /srv/app /srv/app/releases/v1/server.js /srv/app/shared/log; cat /run/fab-app.pid;' +
        ' ps -o user= -p $(cat /run/fab-app.pid); ps -o user=,args= -p $(cat /srv/app/shared/app.pid)',
    );
    const lines = out.trim().split('\n');
    expect(lines.slice(0, 10)).toEqual([
      '/srv/app/releases/v1',
      'v1',
      'VERSION',
      'package.json',
      'server.js',
      'fabts',
      'fabts',
      'fabts',
      String(lab.state.services!['web2-app']!.pid),
      'root',
    ]);
    expect(lines[10]).toMatch(/^fabts\s+\S*node \/srv\/app\/releases\/v1\/server\.js$/);
    // the app process lives in web2's namespaces
    expect(readlinkSync(`/proc/${appPid('web2')}/ns/mnt`)).toBe(readlinkSync(`/proc/${lab.host('web2').pid}/ns/mnt`));
  });
});

describe('the app', () => {
  it('answers with its host name and version on every web host', async () => {
    for (const h of WEB) {
      expect(await httpGet(appUrl(h))).toMatchObject({ status: 200, body: `${h} v1\n` });
      expect(await httpGet(`${appUrl(h)}health`)).toMatchObject({ status: 200, body: 'ok\n' });
      expect(await httpGet(`${appUrl(h)}nope`)).toMatchObject({ status: 404 });
    }
    const t0 = performance.now();
    const slow = await httpGet(`${appUrl('web3')}slow?ms=400`, 3000);
    expect(performance.now() - t0).toBeGreaterThanOrEqual(390);
    expect(slow).toMatchObject({ status: 200, body: 'web3 v1 slow 400\n' });
    // bound to its own address only
    expect((await httpGet(`http://127.${NET}.0.1:8080/`)).body).toBe('web1 v1\n');
    expect((await httpGet('http://127.0.0.1:8080/')).error).toBe('ECONNREFUSED');
  });
});

describe('supervisor', () => {
  it('restarts onto the release `current` points to when the restart command runs over ssh', async () => {
    const tgz = await buildAppTarball(join(DIR, 'dist'), 'v2');
    expect((await run('tar', ['-tzf', tgz])).stdout.trim().split('\n')).toEqual([
      'VERSION',
      'package.json',
      'server.js',
    ]);
    const supervisor = lab.state.services!['web1-app']!.pid;
    const before = appPid('web1');
    await deploy('web1', tgz, 'v2');
    expect((await httpGet(appUrl('web1'))).body).toBe('web1 v1\n'); // a flipped symlink alone changes nothing
    const t0 = performance.now();
    await ssh('web1', lab.state.lb!.app.restart);
    const ms = await waitAppVersion(appUrl('web1'), 'v2', 5000);
    console.log(
      `[lab] app restart: v2 answers ${Math.round(performance.now() - t0)} ms after the ssh command started (${Math.round(ms)} ms after it returned)`,
    );
    expect((await httpGet(`${appUrl('web1')}health`)).status).toBe(200);
    expect(appPid('web1')).not.toBe(before);
    expect(isAlive(before)).toBe(false);
    expect(isAlive(supervisor)).toBe(true);
    expect(Number(await ssh('web1', 'cat /run/fab-app.pid'))).toBe(supervisor);
    expect((await httpGet(appUrl('web2'))).body).toBe('web2 v1\n'); // other hosts untouched
  });

  it('a restart waits for requests in flight to finish', async () => {
    const old = appPid('web1');
    const slow = httpGet(`${appUrl('web1')}slow?ms=2000`, 5000);
    await sleep(100);
    await ssh('web1', lab.state.lb!.app.restart);
    await sleep(100);
    expect(isAlive(old)).toBe(true); // got SIGTERM, still finishing the slow request
    expect(await slow).toMatchObject({ status: 200, body: 'web1 v2 slow 2000\n' });
    await waitAppVersion(appUrl('web1'), 'v2');
    expect(appPid('web1')).not.toBe(old);
  });

  it('a bad release answers /health with 500 only on the hosts it is bad on', async () => {
    const tgz = await buildAppTarball(join(DIR, 'dist'), 'v3-bad', { badOn: ['web2'] });
    for (const h of ['web2', 'web3']) {
      await deploy(h, tgz, 'v3-bad');
      await ssh(h, lab.state.lb!.app.restart);
      await waitAppVersion(appUrl(h), 'v3-bad');
    }
    expect(await httpGet(`${appUrl('web2')}health`)).toMatchObject({ status: 500, body: 'unhealthy web2 v3-bad\n' });
    expect(await httpGet(`${appUrl('web3')}health`)).toMatchObject({ status: 200, body: 'ok\n' });
    expect((await httpGet(appUrl('web2'))).status).toBe(200);
    // roll back: current -> v1, restart
    for (const h of ['web2', 'web3'])
      await ssh(h, `ln -sfn /srv/app/releases/v1 /srv/app/current && ${lab.state.lb!.app.restart}`);
    for (const h of ['web2', 'web3']) await waitAppVersion(appUrl(h), 'v1');
    expect((await httpGet(`${appUrl('web2')}health`)).status).toBe(200);
  });

  it('restarts an app that dies, and keeps retrying a release that crashes at start', async () => {
    const pid = appPid('web3');
    await ssh('web3', 'kill -9 $(cat /srv/app/shared/app.pid)'); // fabts owns the app process
    await waitFor('a new app pid', () => appPid('web3') !== pid && appPid('web3'), 5000);
    await waitHttp(`${appUrl('web3')}health`, (s) => s === 200, 3000);

    const tgz = await buildAppTarball(join(DIR, 'dist'), 'v4-crash', { crash: true });
    await deploy('web3', tgz, 'v4-crash');
    await ssh('web3', lab.state.lb!.app.restart);
    const log = join(lab.host('web3').root, 'srv/app/shared/log/app.log');
    await waitFor('two crashes', () => (readIf(log)?.match(/v4-crash: crashing at start/g)?.length ?? 0) >= 2, 5000);
    expect((await httpGet(appUrl('web3'))).error).toBe('ECONNREFUSED');
    expect(isAlive(lab.state.services!['web3-app']!.pid)).toBe(true);
    await ssh('web3', `ln -sfn /srv/app/releases/v1 /srv/app/current && ${lab.state.lb!.app.restart}`);
    await waitAppVersion(appUrl('web3'), 'v1', 5000);
  });

  it('stopHost takes the app down; startHost brings host and app back like a reboot', async () => {
    const old = lab.state.services!['web3-app']!.pid;
    await lab.stopHost('web3');
    expect(isAlive(old)).toBe(false);
    expect((await httpGet(appUrl('web3'))).error).toBe('ECONNREFUSED');
    expect(lab.host('web3').services).toBeUndefined();
    await lab.startHost('web3');
    expect(await httpGet(appUrl('web3'))).toMatchObject({ status: 200, body: 'web3 v1\n' });
    const svc = lab.state.services!['web3-app']!;
    expect(svc.pid).not.toBe(old);
    expect(lab.host('web3').services).toEqual({ 'web3-app': svc.pid });
    expect(Number(await ssh('web3', 'cat /run/fab-app.pid'))).toBe(svc.pid);
  });
});
