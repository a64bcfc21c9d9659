/** The lab's hosts as the peers reach them: directly, or through a per-host address/port override (a latency proxy). */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { LabState } from '../../test/lab/types.js';
import type { PeerHost, PeerLab } from './jobs.js';

/** Where a host is reached instead of its lab address (the latency proxy's `Target` has this shape). */
export interface Endpoint {
  host: string;
  port: number;
}

/** known_hosts spells a host `addr` on port 22 and `[addr]:port` on any other. */
export const knownHostsName = (address: string, port: number): string =>
  port === 22 ? address : `[${address}]:${port}`;

/**
 * known_hosts text listing each host's key (found in the lab's `labKnownHosts`) under the address it is reached at,
 * so every peer still checks the real host key strictly when a proxy sits in front.
 */
export function rekeyKnownHosts(
  labKnownHosts: string,
  moves: Array<{ name: string; from: Endpoint; to: Endpoint }>,
): string {
  const byName = new Map<string, string>();
  for (const line of labKnownHosts.split('\n')) {
    const [names, ...key] = line.trim().split(/\s+/);
    if (names && key.length >= 2 && !names.startsWith('#'))
      for (const n of names.split(',')) byName.set(n, key.join(' '));
  }
  return moves
    .map(({ name, from, to }) => {
      const key = byName.get(knownHostsName(from.host, from.port));
      if (!key)
        throw new Error(`bench:peers: no key for ${name} (${knownHostsName(from.host, from.port)}) in known_hosts`);
      return `${knownHostsName(to.host, to.port)} ${key}\n`;
    })
    .join('');
}

/**
 * The hosts `names` of a running lab, as the peers see them. With `overrides` (host name -> endpoint), those hosts
 * are reached there, and a known_hosts for the new endpoints is written into `dir`.
 */
export function peerLab(
  state: Pick<LabState, 'hosts' | 'user' | 'sudoUser' | 'clientKey' | 'knownHosts'>,
  names: string[],
  overrides?: { dir: string; endpoints: Record<string, Endpoint> },
): PeerLab {
  const hosts: PeerHost[] = names.map((name) => {
    const h = state.hosts[name];
    if (!h) throw new Error(`bench:peers: the lab has no host ${name}`);
    const o = overrides?.endpoints[name];
    return { name, address: o?.host ?? h.address, port: o?.port ?? h.port };
  });
  let knownHosts = state.knownHosts;
  if (overrides) {
    knownHosts = join(overrides.dir, 'known_hosts');
    const moves = hosts.map((h) => ({
      name: h.name,
      from: { host: state.hosts[h.name]!.address, port: state.hosts[h.name]!.port },
      to: { host: h.address, port: h.port },
    }));
    writeFileSync(knownHosts, rekeyKnownHosts(readFileSync(state.knownHosts, 'utf8'), moves), { mode: 0o600 });
  }
  return { hosts, user: state.user, sudoUser: state.sudoUser, key: state.clientKey, knownHosts };
}
