/**
 * Rolling deploy overhead: `fab lab --json rollingDeploy` to the web hosts behind nginx (lb1) and HAProxy (lb2),
 * the new app each run. Per host: the wall time minus the action (upload, unpack, switch, restart), the health
 * gates and the LBs' own waits (nginx's old workers exiting after a reload, HAProxy's sessions ending in drain),
 * which are reported apart (rolling-events.ts). What remains is fab's own cost: start-up, connections, the lock,
 * the LB file edits and commands, journal and events. It is split in two: the run's fixed cost (before the first
 * host starts draining: start-up, connections, lock; after the last is done: release, exit) and the marginal
 * cost per host (the rest, divided by the hosts): the part that grows with the hosts.
 * Run as root: npm run bench:rolling [-- --runs 3 --hosts 6 --baseline DIR] (DIR: a second built checkout,
 * alternating; --web is the older name of --hosts)
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { buildAppTarball } from '../test/lab/app.js';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { median } from './measure.js';
import { argOf } from './args.js';
import { breakdown, type Ev } from './rolling-events.js';

const runs = Number(argOf('runs', '3'));
const web = Number(argOf('hosts', argOf('web', '3')));
const baseline = argOf('baseline', '');
const root = repoRoot();
const labDir = labDir_('lab-bench');
const s2 = (x: number) => x.toFixed(2);

interface Row {
  who: string;
  wall: number;
  /** per host */
  overhead: number;
  overheadWithWaits: number;
  /** per host, without the run's fixed cost */
  marginal: number;
  /** per run: before the first host and after the last */
  fixed: number;
  drain: number;
  undrain: number;
  lbWait: number;
  action: number;
  gates: number;
  before: number;
  after: number;
  commands: number;
  load: number;
}

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web, lb: true });
const lbHosts = Object.values(lab.state.hosts)
  .filter((h) => h.lbKind)
  .map((h) => h.name);
const rows: Row[] = [];
const checkouts = baseline ? [['fab', root] as const, ['baseline', baseline] as const] : [['fab', root] as const];
try {
  for (let r = 0; r < runs; r++) {
    for (const [who, dir] of r % 2 ? [...checkouts].reverse() : checkouts) {
      const artifact = await buildAppTarball(join(labDir, 'art'), `b${Date.now()}`);
      const start = Date.now() / 1000;
      const t0 = process.hrtime.bigint();
      const p = spawnSync(
        process.execPath,
        [join(dir, 'bin', 'fab.js'), 'lab', '--json', 'rollingDeploy', '--artifact', artifact],
        { cwd: dir, env: { ...process.env, FAB_LAB_DIR: labDir }, encoding: 'utf8', maxBuffer: 1 << 28 },
      );
      const wall = Number(process.hrtime.bigint() - t0) / 1e9;
      if (p.status !== 0) throw new Error(`rollingDeploy failed: ${p.stdout.slice(-2000)}${p.stderr}`);
      const events = p.stdout
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as Ev);
      const b = breakdown(events, lbHosts);
      const lbWait = b.spent.drain + b.spent.undrain - b.fabLb.drain - b.fabLb.undrain;
      const hostEvents = events.filter((e) => e.type === 'rolling.host');
      const row: Row = {
        who,
        wall,
        overhead: (wall - b.spent.action - b.spent.gates - lbWait) / web,
        overheadWithWaits: (wall - b.spent.action - b.spent.gates) / web,
        marginal: 0,
        fixed: 0,
        drain: b.fabLb.drain / web,
        undrain: b.fabLb.undrain / web,
        lbWait: lbWait / web,
        action: b.spent.action / web,
        gates: b.spent.gates / web,
        before: Date.parse(hostEvents[0]!.time) / 1000 - start,
        after: start + wall - Date.parse(hostEvents.at(-1)!.time) / 1000,
        commands: b.commands,
        load: loadavg()[0]!,
      };
      row.fixed = row.before + row.after;
      row.marginal = (wall - row.fixed - b.spent.action - b.spent.gates - lbWait) / web;
      rows.push(row);
      console.log(
        `run ${r + 1} ${who}: wall ${s2(wall)} s for ${web} hosts, ${b.commands} commands; per host: marginal ` +
          `${s2(row.marginal)} s, overhead ${s2(row.overhead)} s (with the LBs' own waits ` +
          `${s2(row.overheadWithWaits)} s), fixed per run ${s2(row.fixed)} s, ` +
          `fab's drain ${s2(row.drain)} s ` +
          `and undrain ${s2(row.undrain)} s, LB waits ${s2(row.lbWait)} s, action ${s2(row.action)} s, gates ` +
          `${s2(row.gates)} s; before the first host ${s2(row.before)} s, after the last ${s2(row.after)} s; ` +
          `load ${row.load.toFixed(1)}`,
      );
      for (const [k, v] of Object.entries(b.lbs))
        console.log(
          `    ${k}: ${s2(v.path / web)} s per host, of which its own wait ${s2(v.wait / web)} s; ` +
            `${v.commands} commands`,
        );
    }
  }
} finally {
  await lab.remove();
}
for (const [who] of checkouts) {
  const mine = rows.filter((r) => r.who === who);
  const m = (f: (r: Row) => number) => s2(median(mine.map(f)));
  console.log(
    `${who} (${web} hosts), median of ${mine.length}: marginal ${m((r) => r.marginal)} s per host, fixed ${m((r) => r.fixed)} s ` +
      `per run; ` +
      `overhead ${m((r) => r.overhead)} s per host without the LBs' own waits ` +
      `(${m((r) => r.overheadWithWaits)} s with them; LB waits ${m((r) => r.lbWait)} s), fab's drain ` +
      `${m((r) => r.drain)} s, undrain ${m((r) => r.undrain)} s, before ${m((r) => r.before)} s, after ` +
      `${m((r) => r.after)} s; wall ${m((r) => r.wall)} s`,
  );
}
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'rolling.json'),
  `${JSON.stringify({ date: new Date().toISOString(), web, rows }, null, 2)}\n`,
);
if (baseline) {
  const ratio = (f: (r: Row) => number) => {
    const of = (who: string) => median(rows.filter((r) => r.who === who).map(f));
    return (of('fab') / of('baseline')).toFixed(2);
  };
  console.log(
    `fab / baseline, medians: marginal per host ${ratio((r) => r.marginal)}, fixed per run ${ratio((r) => r.fixed)}, ` +
      `overhead per host ${ratio((r) => r.overhead)}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')}`,
  );
}
