/**
 * fab itself, as a whole process per run: the `fab` binary (bin/fab.js) or `npx fab`, the hosts given as
 * `-H address:port` with the lab's key and known_hosts, `-P -z N`, and `--json` so the run's end event says which
 * hosts succeeded. Jobs other than `true` are tasks of bench/peers/fabfile.ts.
 */
import { join } from 'node:path';
import { missingHosts, type Job, type JobKind, type PeerLab } from './jobs.js';

const TASKS: Record<Exclude<JobKind, 'true'>, string> = { sudo: 'peerSudo', edit: 'peerEdit', steps: 'peerSteps' };

export interface FabRunner {
  /** repository root: bin/fab.js and bench/peers/fabfile.ts are found there */
  root: string;
  /** 'bin': node bin/fab.js; 'npx': npx fab (npm's own start-up included) */
  via: 'bin' | 'npx';
  node: string;
  sudoPassword: string;
}

export function fabArgs(root: string, lab: PeerLab, kind: JobKind, concurrency: number): string[] {
  const user = kind === 'sudo' ? lab.sudoUser : lab.user;
  return [
    ...['-f', join(root, 'bench', 'peers', 'fabfile.ts')],
    ...['-H', lab.hosts.map((h) => `${h.address}:${h.port}`).join(',')],
    ...['-u', user, '-i', lab.key, '--known-hosts', lab.knownHosts],
    ...['-P', '-z', String(concurrency), '--json'],
    ...(kind === 'true' ? ['--', 'true'] : [TASKS[kind]]),
  ];
}

/** The run.end event lists every host with its status; hosts are named address:port. */
function verifyRunEnd(lab: PeerLab) {
  const nameOf = new Map(lab.hosts.map((h) => [`${h.address}:${h.port}`, h.name]));
  return (out: string): string | undefined => {
    const end = out
      .split('\n')
      .filter((l) => l.startsWith('{"type":"run.end"'))
      .map((l) => JSON.parse(l) as { ok: boolean; hosts: Array<{ host: string; status: string }> })[0];
    const ok = (end?.hosts ?? []).filter((h) => h.status === 'ok').map((h) => nameOf.get(h.host) ?? h.host);
    return missingHosts(
      lab.hosts.map((h) => h.name),
      ok,
      'fab: status ok',
    );
  };
}

export function fabJob(r: FabRunner, lab: PeerLab, kind: JobKind, concurrency: number): Job {
  const args = fabArgs(r.root, lab, kind, concurrency);
  return {
    argv: r.via === 'bin' ? [r.node, join(r.root, 'bin', 'fab.js'), ...args] : ['npx', 'fab', ...args],
    env: { FAB_SUDO_PASSWORD: r.sudoPassword, NO_COLOR: '1' },
    verify: verifyRunEnd(lab),
  };
}
