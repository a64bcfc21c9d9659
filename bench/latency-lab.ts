/**
 * A lab seen through latency proxies: one proxy per host for SSH (and one for the app's HTTP port on web hosts),
 * each on its own loopback address 127.<net>.1.<i>, and a copy of the lab's state (lab.json, known_hosts,
 * ssh_config) that points there, for `FAB_LAB_DIR`. The hosts themselves are untouched.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { APP_PORT } from '../test/lab/app.js';
import { knownHosts, sshConfig } from '../test/lab/files.js';
import type { LabState } from '../test/lab/types.js';
import { startLatencyProxies, type ProxySet } from './latency-proxy.js';

export interface ProxiedLab {
  /** FAB_LAB_DIR for fab runs through the proxies */
  dir: string;
  ssh: ProxySet;
  http: ProxySet;
  setDelay(oneWayMs: number): void;
  close(): Promise<void>;
}

export async function proxyLab(state: LabState, dir: string, oneWayMs: number): Promise<ProxiedLab> {
  const names = Object.keys(state.hosts);
  const addr = (name: string) => `127.${state.net}.1.${names.indexOf(name) + 1}`;
  const ssh = await startLatencyProxies(state.hosts, oneWayMs, (name) => ({ host: addr(name), port: 2222 }));
  const web = Object.fromEntries(
    (state.lb?.app.hosts ?? []).map((n) => [n, { address: state.hosts[n]!.address, port: APP_PORT }]),
  );
  const http = await startLatencyProxies(web, oneWayMs, (name) => ({ host: addr(name), port: APP_PORT }));
  const hosts = Object.fromEntries(
    Object.entries(state.hosts).map(([n, h]) => [n, { ...h, address: addr(n), port: ssh.mapping[n]!.port }]),
  );
  const pubs = Object.fromEntries(
    readFileSync(state.knownHosts, 'utf8')
      .split('\n')
      .filter(Boolean)
      .map((l) => [l.split(' ')[0]!, l.split(' ').slice(1).join(' ')]),
  );
  const known = knownHosts(
    Object.entries(state.hosts).map(([n, h]) => ({
      ...hosts[n]!,
      pubKey: pubs[`[${h.address}]:${h.port}`] ?? '',
    })),
  );
  mkdirSync(dir, { recursive: true });
  const shadow: LabState = {
    ...state,
    dir,
    hosts,
    knownHosts: join(dir, 'known_hosts'),
    sshConfig: join(dir, 'ssh_config'),
  };
  writeFileSync(shadow.knownHosts, known);
  writeFileSync(shadow.sshConfig, sshConfig(shadow));
  writeFileSync(join(dir, 'lab.json'), `${JSON.stringify(shadow, null, 2)}\n`);
  return {
    dir,
    ssh,
    http,
    setDelay: (ms) => (ssh.setDelay(ms), http.setDelay(ms)),
    close: async () => void (await Promise.all([ssh.close(), http.close()])),
  };
}
