/**
 * One `fab lab --json rollingDeploy`, split like bench/rolling.ts: overhead per host = (wall - action - gates) / hosts.
 */

interface Ev {
  type: string;
  time: string;
  host?: string;
  state?: string;
}
type Phase = 'drain' | 'action' | 'gates' | 'undrain';
const PHASE: Record<string, Phase> = { draining: 'drain', deploying: 'action', gating: 'gates', undraining: 'undrain' };

/** `fab` runs fab with these arguments (without blocking the proxies' event loop) and resolves with its stdout. */
export async function rollingOverhead(
  fab: (args: string[]) => Promise<string>,
  fabBin: string,
  fabfiles: string,
  artifact: string,
): Promise<{ wall: number; hosts: number; spent: Record<Phase, number>; overheadPerHost: number }> {
  const t0 = process.hrtime.bigint();
  const stdout = await fab([fabBin, '-f', fabfiles, 'lab', '--json', 'rollingDeploy', '--artifact', artifact]);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const events = stdout
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Ev);
  const spent: Record<Phase, number> = { drain: 0, action: 0, gates: 0, undrain: 0 };
  const open = new Map<string, { phase: Phase; at: number }>();
  const hosts = new Set<string>();
  for (const e of events.filter((x) => x.type === 'rolling.host' && x.host)) {
    hosts.add(e.host!);
    const at = Date.parse(e.time) / 1000;
    const prev = open.get(e.host!);
    if (prev) spent[prev.phase] += at - prev.at;
    const phase = PHASE[e.state!];
    if (phase) open.set(e.host!, { phase, at });
    else open.delete(e.host!);
  }
  const n = Math.max(1, hosts.size);
  return { wall, hosts: n, spent, overheadPerHost: (wall - spent.action - spent.gates) / n };
}
