// The web tier of an `lb: true` lab: the app under its supervisor on every web host, nginx on lb1 and
// HAProxy on lb2, each started inside its host's namespaces as a lab service. See README.md.
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { APP_INITIAL_VERSION, APP_PID_FILE, APP_PORT, APP_RESTART, APP_ROOT, appSourceDir, installApp } from './app.js';
import { logTail } from './host.js';
import type { HostSpec } from './host.js';
import { HAPROXY, NGINX, haproxyCfg, haproxyInfo, nginxConf, nginxInfo } from './lb.js';
import { isAlive, sleep } from './proc.js';
import type { LabLb, LabService, LabState, SpawnInHostOptions } from './types.js';

/** The part of Lab that starting services needs (a type only: no import cycle with lab.ts). */
export interface ServiceHost {
  state: LabState;
  spawnInHost(name: string, argv: string[], opts?: SpawnInHostOptions): Promise<LabService>;
}

const SERVICE_ENV = {
  PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
  LANG: 'C.UTF-8',
  HOME: '/root',
};

/** lab.json's `lb` section for these hosts (web hosts = role 'web'; LB hosts by lbKind). */
export function webTierInfo(specs: HostSpec[], user: string, backends?: number): LabLb {
  const web = specs.filter((s) => s.roles.includes('web')).map((s) => s.name);
  if (backends !== undefined && (!Number.isInteger(backends) || backends < 1))
    throw new Error(`lab: lbBackends must be >= 1, got ${backends}`);
  const listed = web.slice(0, backends ?? web.length);
  const lb = (kind: string) => {
    const s = specs.find((x) => x.lbKind === kind);
    if (!s) throw new Error(`lab: no ${kind} host`);
    return s;
  };
  const n = lb('nginx');
  const h = lb('haproxy');
  return {
    nginx: nginxInfo(n.name, n.address, listed),
    haproxy: haproxyInfo(h.name, h.address, listed),
    app: {
      port: APP_PORT,
      root: APP_ROOT,
      user,
      hosts: web,
      initialVersion: APP_INITIAL_VERSION,
      pidFile: APP_PID_FILE,
      restart: APP_RESTART,
      health: '/health',
    },
  };
}

/** Write every file of the web tier into the hosts' roots (fresh release v1, LB configs, no stale pid files). */
export function prepareWebTier(state: LabState, lb: LabLb, owner: { uid: number; gid: number }): void {
  for (const name of lb.app.hosts) installApp(state.hosts[name]!.root, owner);
  const write = (file: string, text: string, mode: number) => {
    writeFileSync(file, text, { mode });
    chmodSync(file, mode);
  };
  const n = state.hosts[lb.nginx.host]!.root;
  write(n + lb.nginx.conf, nginxConf(lb.nginx), 0o644);
  mkdirSync(`${n}/var/lib/nginx`, { recursive: true });
  for (const f of [lb.nginx.accessLog, lb.nginx.errorLog]) write(n + f, '', 0o640); // a new lab starts with fresh logs
  rmSync(n + lb.nginx.pidFile, { force: true });
  const h = state.hosts[lb.haproxy.host]!.root;
  write(h + lb.haproxy.conf, haproxyCfg(lb.haproxy), 0o644);
  const sockDir = h + lb.haproxy.socket.slice(0, lb.haproxy.socket.lastIndexOf('/'));
  mkdirSync(sockDir, { recursive: true, mode: 0o755 });
  chmodSync(sockDir, 0o755);
  for (const f of [lb.haproxy.pidFile, lb.haproxy.socket]) rmSync(h + f, { force: true });
}

/** HTTP status of one GET (new connection), or the error code. */
export function httpGet(url: string, timeoutMs = 1000): Promise<{ status: number; body: string; error?: string }> {
  return new Promise((resolve) => {
    const req = request(url, { agent: false, timeout: timeoutMs }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (d: string) => {
        body += d;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body, error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'ETIMEDOUT' })));
    req.on('error', (e: NodeJS.ErrnoException) => resolve({ status: 0, body: '', error: e.code ?? e.message }));
    req.end();
  });
}

/**
 * Poll GET url every 20 ms until ok(status, body) holds; resolves with the elapsed ms. This is how a
 * caller waits after the app's restart command: e.g. until /health is 200 and / names the new version.
 */
export async function waitHttp(
  url: string,
  ok: (status: number, body: string) => boolean,
  timeoutMs = 5000,
  alive?: () => string | undefined,
): Promise<number> {
  const t0 = performance.now();
  let last = '';
  for (;;) {
    const r = await httpGet(url, 1000);
    if (r.status && ok(r.status, r.body)) return performance.now() - t0;
    last = r.error ?? `${r.status} ${r.body.trim().slice(0, 80)}`;
    const dead = alive?.();
    if (dead) throw new Error(`${dead} (last answer from ${url}: ${last})`);
    if (performance.now() - t0 > timeoutMs)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${url} (last: ${last})`);
    await sleep(20);
  }
}

/** Wait until GET <appUrl> answers "<host> <version>" (after a restart command). */
export function waitAppVersion(appUrl: string, version: string, timeoutMs = 5000): Promise<number> {
  return waitHttp(appUrl, (s, b) => s === 200 && b.trim().split(/\s+/)[1] === version, timeoutMs);
}

/** The services a host of this lab runs: 'app' (web hosts), 'nginx', 'haproxy'. */
export function hostServiceKinds(state: LabState, name: string): Array<'app' | 'nginx' | 'haproxy'> {
  const lb = state.lb;
  if (!lb) return [];
  if (lb.nginx.host === name) return ['nginx'];
  if (lb.haproxy.host === name) return ['haproxy'];
  return lb.app.hosts.includes(name) ? ['app'] : [];
}

/** Start the host's web-tier services (not waiting). */
export async function spawnHostServices(lab: ServiceHost, name: string): Promise<LabService[]> {
  const h = lab.state.hosts[name]!;
  const out: LabService[] = [];
  for (const kind of hostServiceKinds(lab.state, name)) {
    if (kind === 'app') {
      const env = { ...SERVICE_ENV, APP_HOST: h.address, APP_PORT: String(APP_PORT) };
      out.push(
        await lab.spawnInHost(name, [process.execPath, `${appSourceDir()}/supervisor.mjs`, APP_ROOT, APP_PID_FILE], {
          name: `${name}-app`,
          env,
        }),
      );
    } else if (kind === 'nginx') {
      out.push(
        await lab.spawnInHost(name, [NGINX, '-g', 'daemon off;'], {
          name: lab.state.lb!.nginx.service,
          env: SERVICE_ENV,
        }),
      );
    } else {
      out.push(
        await lab.spawnInHost(name, [HAPROXY, '-W', '-db', '-f', lab.state.lb!.haproxy.conf], {
          name: lab.state.lb!.haproxy.service,
          env: SERVICE_ENV,
        }),
      );
    }
  }
  return out;
}

/**
 * Ready: the app answers GET /health with any status; nginx answers /lb-health with 200; HAProxy answers
 * at all and has its admin socket. `lenientApp`: an app that does not answer in time is no error while
 * its supervisor lives (after startHost the current release may be one that never starts).
 */
export async function waitHostServices(
  state: LabState,
  svcs: LabService[],
  timeoutMs: number,
  lenientApp = false,
): Promise<void> {
  await Promise.all(
    svcs.map(async (svc) => {
      const h = state.hosts[svc.host]!;
      const lb = state.lb!;
      const dead = () =>
        isAlive(svc.pid, svc.startTime) ? undefined : `lab: service ${svc.name} on ${svc.host} (pid ${svc.pid}) exited`;
      try {
        if (svc.name === lb.nginx.service)
          await waitHttp(`${lb.nginx.url}lb-health`, (s) => s === 200, timeoutMs, dead);
        else if (svc.name === lb.haproxy.service) {
          await waitHttp(lb.haproxy.url, () => true, timeoutMs, dead);
          const sock = h.root + lb.haproxy.socket;
          for (const end = Date.now() + timeoutMs; !existsSync(sock); await sleep(20))
            if (Date.now() > end) throw new Error(`no admin socket ${lb.haproxy.socket}`);
        } else await waitHttp(`${h.appUrl}health`, () => true, timeoutMs, dead);
      } catch (e) {
        if (lenientApp && svc.name === `${svc.host}-app` && !dead()) return;
        await sleep(50);
        throw new Error(
          `lab: ${svc.name} on ${svc.host} is not ready: ${(e as Error).message}\n--- tail of ${svc.log} ---\n${logTail(svc.log)}`,
        );
      }
    }),
  );
}

/** Start the whole web tier of a freshly started lab: apps first, then the LBs (their first checks see live apps). */
export async function startWebTier(lab: ServiceHost, timeoutMs: number): Promise<void> {
  const lb = lab.state.lb!;
  const apps: LabService[] = [];
  for (const name of lb.app.hosts) apps.push(...(await spawnHostServices(lab, name)));
  await waitHostServices(lab.state, apps, timeoutMs);
  const lbs = [...(await spawnHostServices(lab, lb.nginx.host)), ...(await spawnHostServices(lab, lb.haproxy.host))];
  await waitHostServices(lab.state, lbs, timeoutMs);
}
