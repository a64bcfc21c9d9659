/**
 * Where a rolling deploy's time goes, from its --json events: each host's phases (drain, action, gates, undrain),
 * and inside drain/undrain each LB's commands and its own wait: nginx from the end of the reload command until
 * the old workers are gone (the last worker probe), HAProxy from `state drain` until `state maint` (sessions
 * ending), or as fab reports it (`lb.wait` events) when the wait is inside one script. Batches of one host, so a
 * phase's commands are the ones that ran during it.
 */
export interface Ev {
  type: string;
  time: string;
  host?: string;
  state?: string;
  id?: number;
  requested?: string;
  ms?: number;
}
export type Phase = 'drain' | 'action' | 'gates' | 'undrain';
const PHASE: Record<string, Phase> = { draining: 'drain', deploying: 'action', gating: 'gates', undraining: 'undrain' };

interface Cmd {
  host: string;
  text: string;
  start: number;
  end: number;
}
export interface LbPath {
  /** from the phase's start to this LB's last command's end */
  path: number;
  /** the LB's own wait inside it (nginx's old workers, HAProxy's sessions) */
  wait: number;
  commands: number;
}
export interface Breakdown {
  /** per phase, summed over hosts */
  spent: Record<Phase, number>;
  /** per LB phase (drain, undrain), summed over hosts: the critical path without the LB's own waits */
  fabLb: Record<'drain' | 'undrain', number>;
  /** per LB phase and LB host, summed over hosts */
  lbs: Record<string, LbPath>;
  /** before the first host starts draining (start-up, connections, lock) and after the last is done */
  before: number;
  after: number;
  commands: number;
}

const at = (e: Ev) => Date.parse(e.time) / 1000;

function commands(events: Ev[]): Cmd[] {
  const open = new Map<string, { host: string; text: string; start: number }>();
  const out: Cmd[] = [];
  for (const e of events) {
    const key = `${e.host}/${e.id}`;
    if (e.type === 'command.start') open.set(key, { host: e.host!, text: e.requested ?? '', start: at(e) });
    if (e.type === 'command.end' && open.has(key)) {
      const c = open.get(key)!;
      out.push({ ...c, end: c.start + (e.ms ?? 0) / 1000 });
    }
  }
  return out;
}

/** The LB's own wait among its commands of one phase. */
function lbWait(cmds: Cmd[]): number {
  const reload = cmds.findIndex((c) => /nginx -s reload|reload/.test(c.text) && !/pgrep/.test(c.text));
  if (reload >= 0) {
    const probes = cmds.filter((c, i) => i > reload && /pgrep -P/.test(c.text));
    return probes.length ? probes.at(-1)!.end - cmds[reload]!.end : 0;
  }
  const drain = cmds.find((c) => /state drain/.test(c.text));
  const maint = cmds.find((c) => /state maint/.test(c.text));
  return drain && maint ? maint.start - drain.end : 0;
}

export function breakdown(events: Ev[], lbHosts: string[]): Breakdown {
  const spent: Record<Phase, number> = { drain: 0, action: 0, gates: 0, undrain: 0 };
  const fabLb = { drain: 0, undrain: 0 };
  const lbs: Record<string, LbPath> = {};
  const cmds = commands(events);
  const hostEvents = events.filter((x) => x.type === 'rolling.host' && x.host);
  const open = new Map<string, { phase: Phase; at: number }>();
  for (const e of hostEvents) {
    const t = at(e);
    const prev = open.get(e.host!);
    if (prev) {
      spent[prev.phase] += t - prev.at;
      if (prev.phase === 'drain' || prev.phase === 'undrain') {
        let critical = 0;
        for (const lb of lbHosts) {
          const mine = cmds.filter((c) => c.host === lb && c.start >= prev.at - 0.002 && c.end <= t + 0.002);
          if (!mine.length) continue;
          const path = mine.at(-1)!.end - prev.at;
          // fab reports the LB's own wait (`lb.wait`) where it happens inside one script; older builds: from commands.
          const told = events.filter((e) => e.type === 'lb.wait' && e.host === lb && at(e) >= prev.at && at(e) <= t);
          const wait = told.length ? told.reduce((sum, e) => sum + (e.ms ?? 0), 0) / 1000 : lbWait(mine);
          const k = `${prev.phase} ${lb}`;
          lbs[k] ??= { path: 0, wait: 0, commands: 0 };
          lbs[k].path += path;
          lbs[k].wait += wait;
          lbs[k].commands += mine.length;
          critical = Math.max(critical, path - wait);
        }
        fabLb[prev.phase] += critical;
      }
    }
    const phase = PHASE[e.state!];
    if (phase) open.set(e.host!, { phase, at: t });
    else open.delete(e.host!);
  }
  const first = hostEvents[0] ? at(hostEvents[0]) : 0;
  const last = hostEvents.at(-1) ? at(hostEvents.at(-1)!) : 0;
  const end = events.length ? at(events.at(-1)!) : last;
  const start = events.length ? at(events[0]!) : first;
  return { spent, fabLb, lbs, before: first - start, after: end - last, commands: cmds.length };
}
