// Which hosts a lab has: web1..webN, the LB hosts (lb: true), extra hosts, the jump pair.
import { HAPROXY_BINDS, NGINX_BINDS } from './lb.js';
import { SSH_PORT } from './host.js';
import type { HostSpec } from './host.js';
import { jumpNet } from './netns.js';
import { dbSpecs } from './db.js';
import type { ExtraHostOptions } from './types.js';

const NAME_RE = /^[a-z0-9][a-z0-9-]{0,30}$/;
const RESERVED_BINDS = ['/etc/hostname', '/etc/hosts', '/srv', '/run'];

export interface SpecOptions {
  net: number;
  web: number;
  extra: ExtraHostOptions[];
  jump: boolean;
  jump2?: boolean;
  lb: boolean;
  db?: boolean;
}

export function hostSpecs({ net, web, extra, jump, jump2, lb, db }: SpecOptions): HostSpec[] {
  const specs: HostSpec[] = [];
  const next = () => `127.${net}.0.${specs.length + 1}`; // web1..webN, lb1, lb2, extras: consecutive addresses
  for (let i = 1; i <= web; i++)
    specs.push({ name: `web${i}`, address: next(), port: SSH_PORT, roles: ['web'], binds: [] });
  if (lb) {
    if (web < 1) throw new Error('lab: lb needs at least one web host');
    specs.push({ name: 'lb1', address: next(), port: SSH_PORT, roles: ['lb'], binds: NGINX_BINDS, lbKind: 'nginx' });
    specs.push({
      name: 'lb2',
      address: next(),
      port: SSH_PORT,
      roles: ['lb'],
      binds: HAPROXY_BINDS,
      lbKind: 'haproxy',
    });
  }
  if (db) for (const d of dbSpecs()) specs.push({ ...d, address: next() });
  for (const x of extra) {
    for (const b of x.binds ?? []) {
      if (!b.startsWith('/') || b.includes('..') || b.endsWith('/') || RESERVED_BINDS.includes(b)) {
        throw new Error(`lab: bad bind path ${b} for host ${x.name}`);
      }
    }
    specs.push({
      name: x.name,
      address: x.address ?? next(),
      port: SSH_PORT,
      roles: x.roles ?? [],
      binds: x.binds ?? [],
    });
  }
  if (jump || jump2) {
    const j = jumpNet(net);
    specs.push({
      name: 'bastion',
      address: j.bastionAddress,
      port: SSH_PORT,
      roles: ['bastion'],
      binds: [],
      netns: j.bastionNs,
    });
    specs.push({
      name: 'private1',
      address: j.privateAddress,
      port: SSH_PORT,
      roles: ['private'],
      binds: [],
      netns: j.privateNs,
      probeNetns: j.bastionNs,
      jump: 'bastion',
    });
    // Two hops: private1 is the second jump host.
    if (jump2)
      specs.push({
        name: 'private2',
        address: j.private2Address,
        port: SSH_PORT,
        roles: ['private'],
        binds: [],
        netns: j.private2Ns,
        probeNetns: j.privateNs,
        jump: 'bastion,private1',
      });
  }
  const seen = new Set<string>();
  for (const s of specs) {
    if (!NAME_RE.test(s.name)) throw new Error(`lab: bad host name ${JSON.stringify(s.name)}`);
    if (seen.has(s.name)) throw new Error(`lab: duplicate host name ${s.name}`);
    seen.add(s.name);
  }
  if (specs.length > 250) throw new Error('lab: at most 250 hosts');
  return specs;
}
