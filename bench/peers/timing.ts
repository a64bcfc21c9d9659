/**
 * Times jobs side by side: every case once per round, the rounds repeated, the median of each. Wall time from
 * this process's clock; client CPU (user + system of the command and every child it waited for) from GNU time.
 * A run that exits non-zero or whose output fails the job's check stops the bench: a failing peer never looks fast.
 */
import { median } from '../measure.js';
import type { Job } from './jobs.js';
import { spawnAsync } from './spawn.js';

export interface Cost {
  wall: number;
  cpu: number;
}

export async function timeJob(name: string, job: Job, cwd: string): Promise<Cost> {
  await job.before?.();
  const t0 = process.hrtime.bigint();
  const r = await spawnAsync(['/usr/bin/time', '-f', 'TIME %U %S', ...job.argv], { ...process.env, ...job.env }, cwd);
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const m = /TIME (\S+) (\S+)\s*$/.exec(r.stderr);
  const tail = `${r.stdout.slice(-600)}${r.stderr.slice(-600)}`;
  if (r.status !== 0 || !m) throw new Error(`bench:peers: ${name} exited ${r.status}:\n${tail}`);
  const why = job.verify?.(r.stdout);
  if (why) throw new Error(`bench:peers: ${name}: ${why}:\n${tail}`);
  await job.after?.();
  return { wall, cpu: Number(m[1]) + Number(m[2]) };
}

export interface Row {
  name: string;
  wall: number;
  cpu: number;
  wallRatio: number;
  cpuRatio: number;
  walls: number[];
}

/** Runs the cases `runs` times, alternating; ratios are to the first case. */
export async function compare(cases: Record<string, Job>, runs: number, cwd: string): Promise<Row[]> {
  const costs: Record<string, Cost[]> = Object.fromEntries(Object.keys(cases).map((k) => [k, []]));
  for (let r = 0; r < runs; r++)
    for (const [name, job] of Object.entries(cases)) costs[name]!.push(await timeJob(name, job, cwd));
  const rows = Object.entries(costs).map(([name, c]) => ({
    name,
    wall: median(c.map((x) => x.wall)),
    cpu: median(c.map((x) => x.cpu)),
    walls: c.map((x) => x.wall),
  }));
  const base = rows[0]!;
  return rows.map((r) => ({ ...r, wallRatio: r.wall / base.wall, cpuRatio: r.cpu / base.cpu }));
}

/** A markdown table of rows, as bench/README.md shows them. */
export function table(title: string, rows: Row[]): string {
  return [
    `| ${title} | wall | ratio | client CPU | ratio |`,
    '|---|---|---|---|---|',
    ...rows.map(
      (r) =>
        `| ${r.name} | ${r.wall.toFixed(3)} s | ${r.wallRatio.toFixed(2)}x | ${r.cpu.toFixed(2)} s | ${r.cpuRatio.toFixed(2)}x |`,
    ),
  ].join('\n');
}
