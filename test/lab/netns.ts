// Jump topology: bastion in netns A (reachable from the root namespace over a veth link),
// private1 in netns B linked only to A. Names contain the lab's net number so labs don't clash.
//
//   root ns  fl<net>-rb 10.<net>.1.1/24 <-> fl<net>-br 10.<net>.1.2/24  netns fabts<net>-bastion
//   bastion  fl<net>-bp 10.<net>.2.1/24 <-> fl<net>-pb 10.<net>.2.2/24  netns fabts<net>-private1
//   private1 fl<net>-pq 10.<net>.3.1/24 <-> fl<net>-qp 10.<net>.3.2/24  netns fabts<net>-private2 (jump2 only)
//
// With jump2, private2 is reachable only from private1: a two-hop ProxyJump chain (bastion,private1).
//
// The root namespace also gets `unreachable 10.<net>.2.0/24`: this machine has a default route whose
// gateway accepts TCP connections to ANY address, so without it a "direct" connection to private1
// would not fail. With it, a direct connect fails at once with EHOSTUNREACH.
import { existsSync } from 'node:fs';
import { killPids, pidsInNetns, mustRun, run } from './proc.js';

export interface JumpNet {
  bastionNs: string;
  privateNs: string;
  bastionAddress: string;
  privateAddress: string;
  /** jump2: the host behind private1 */
  private2Ns: string;
  private2Address: string;
  /** root-side link name and the blackhole route, for cleanup */
  rootLink: string;
  unreachable: string;
  unreachable2: string;
}

export function jumpNet(net: number): JumpNet {
  return {
    bastionNs: `fabts${net}-bastion`,
    privateNs: `fabts${net}-private1`,
    bastionAddress: `10.${net}.1.2`,
    privateAddress: `10.${net}.2.2`,
    private2Ns: `fabts${net}-private2`,
    private2Address: `10.${net}.3.2`,
    rootLink: `fl${net}-rb`,
    unreachable: `10.${net}.2.0/24`,
    unreachable2: `10.${net}.3.0/24`,
  };
}

async function ip(...args: string[]): Promise<void> {
  await mustRun('ip', args);
}

/** Remove everything createJumpNet makes for this net number (idempotent; kills processes left inside). */
export async function destroyJumpNet(net: number): Promise<void> {
  const j = jumpNet(net);
  for (const ns of [j.private2Ns, j.privateNs, j.bastionNs]) {
    if (!existsSync(`/run/netns/${ns}`)) continue;
    await killPids(pidsInNetns(ns)); // netns named fabts<net>-*: ours by construction
    await run('ip', ['netns', 'del', ns]);
  }
  // deleting a netns deletes the veth ends inside it and their peers; this is for half-built leftovers
  const link = await run('ip', ['link', 'show', j.rootLink]);
  if (link.code === 0) await run('ip', ['link', 'del', j.rootLink]);
  for (const dest of [j.unreachable, j.unreachable2]) {
    const route = await run('ip', ['route', 'show', 'type', 'unreachable', dest]);
    if (route.stdout.trim()) await run('ip', ['route', 'del', 'unreachable', dest]);
  }
}

/** Create the namespaces and links (after cleaning a stale set of the same names); `second`: private2 too. */
export async function createJumpNet(net: number, second = false): Promise<JumpNet> {
  await destroyJumpNet(net);
  const j = jumpNet(net);
  const [br, bp, pb] = [`fl${net}-br`, `fl${net}-bp`, `fl${net}-pb`];
  try {
    await ip('netns', 'add', j.bastionNs);
    await ip('netns', 'add', j.privateNs);
    await ip('link', 'add', j.rootLink, 'type', 'veth', 'peer', 'name', br, 'netns', j.bastionNs);
    await ip('link', 'add', bp, 'netns', j.bastionNs, 'type', 'veth', 'peer', 'name', pb, 'netns', j.privateNs);
    await ip('addr', 'add', `10.${net}.1.1/24`, 'dev', j.rootLink);
    await ip('link', 'set', j.rootLink, 'up');
    await ip('-n', j.bastionNs, 'addr', 'add', `${j.bastionAddress}/24`, 'dev', br);
    await ip('-n', j.bastionNs, 'addr', 'add', `10.${net}.2.1/24`, 'dev', bp);
    await ip('-n', j.privateNs, 'addr', 'add', `${j.privateAddress}/24`, 'dev', pb);
    for (const [ns, dev] of [
      [j.bastionNs, 'lo'],
      [j.bastionNs, br],
      [j.bastionNs, bp],
      [j.privateNs, 'lo'],
      [j.privateNs, pb],
    ] as const) {
      await ip('-n', ns, 'link', 'set', dev, 'up');
    }
    await ip('route', 'add', 'unreachable', j.unreachable);
    if (second) {
      const [pq, qp] = [`fl${net}-pq`, `fl${net}-qp`];
      await ip('netns', 'add', j.private2Ns);
      await ip('link', 'add', pq, 'netns', j.privateNs, 'type', 'veth', 'peer', 'name', qp, 'netns', j.private2Ns);
      await ip('-n', j.privateNs, 'addr', 'add', `10.${net}.3.1/24`, 'dev', pq);
      await ip('-n', j.private2Ns, 'addr', 'add', `${j.private2Address}/24`, 'dev', qp);
      for (const [ns, dev] of [
        [j.privateNs, pq],
        [j.private2Ns, 'lo'],
        [j.private2Ns, qp],
      ] as const)
        await ip('-n', ns, 'link', 'set', dev, 'up');
      await ip('route', 'add', 'unreachable', j.unreachable2);
    }
  } catch (e) {
    await destroyJumpNet(net);
    throw e;
  }
  return j;
}
