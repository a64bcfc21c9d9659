/**
 * Rolling deploy overhead: the wall time of `fab lab rollingDeploy` minus the time spent inside the
 * action (upload, unpack, switch, restart) and the health gates, per host. What remains is fab's own
 * cost plus draining and undraining (LB edits, nginx reloads, HAProxy drains) and start-up.
 * Run as root: npm run bench:rolling [-- --runs 3 --web 3]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { buildAppTarball } from '../test/lab/app.js';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { median } from './measure.js';
import { argOf } from './args.js';

const runs = Number(argOf('runs', '3'));
const web = Number(argOf('web', '3'));
const root = repoRoot();
const labDir = labDir_('lab-bench');

interface Ev {
  type: string;
  time: string;
  host?: string;
  state?: string;
}
type Phase = 'drain' | 'action' | 'gates' | 'undrain';
const PHASE: Record<string, Phase> = { draining: 'drain', deploying: 'action', gating: 'gates', undraining: 'undrain' };

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web, lb: true });
const rows: { wall: number; perHost: Record<Phase, number>; overheadPerHost: number }[] = [];
try {
  for (let r = 0; r < runs; r++) {
    const artifact = await buildAppTarball(join(labDir, 'art'), `b${Date.now()}`);
    const t0 = process.hrtime.bigint();
    const p = spawnSync(
      process.execPath,
      [join(root, 'bin', 'fab.js'), 'lab', '--json', 'rollingDeploy', '--artifact', artifact],
      { cwd: root, env: { ...process.env, FAB_LAB_DIR: labDir }, encoding: 'utf8' },
    );
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    if (p.status !== 0) throw new Error(`rollingDeploy failed: ${p.stdout.slice(-2000)}${p.stderr}`);
    const events = p.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Ev);
    const spent: Record<Phase, number> = { drain: 0, action: 0, gates: 0, undrain: 0 };
    const open = new Map<string, { phase: Phase; at: number }>();
    for (const e of events.filter((x) => x.type === 'rolling.host' && x.host)) {
      const at = Date.parse(e.time) / 1000;
      const prev = open.get(e.host!);
      if (prev) spent[prev.phase] += at - prev.at;
      const phase = PHASE[e.state!];
      if (phase) open.set(e.host!, { phase, at });
      else open.delete(e.host!);
    }
    const per = Object.fromEntries(Object.entries(spent).map(([k, v]) => [k, v / web])) as Record<Phase, number>;
    rows.push({ wall, perHost: per, overheadPerHost: (wall - spent.action - spent.gates) / web });
    console.log(
      `run ${r + 1}: wall ${wall.toFixed(2)} s for ${web} hosts; per host: drain ${per.drain.toFixed(2)} s, action ${per.action.toFixed(2)} s, gates ${per.gates.toFixed(2)} s, undrain ${per.undrain.toFixed(2)} s; overhead ${((wall - spent.action - spent.gates) / web).toFixed(2)} s/host`,
    );
  }
} finally {
  await lab.remove();
}
const m = (f: (r: (typeof rows)[number]) => number) => median(rows.map(f));
console.log(
  `median over ${runs} runs: overhead ${m((r) => r.overheadPerHost).toFixed(2)} s per host (wall minus action and gates), of which drain ${m((r) => r.perHost.drain).toFixed(2)} s and undrain ${m((r) => r.perHost.undrain).toFixed(2)} s; wall ${m((r) => r.wall).toFixed(2)} s`,
);
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'rolling.json'),
  `${JSON.stringify({ date: new Date().toISOString(), web, rows }, null, 2)}\n`,
);
