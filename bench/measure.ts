import { spawn, spawnSync, type SpawnOptions, type SpawnSyncOptions } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

/** Wall time of one command in seconds; throws if it fails, so a broken run is never timed as fast. */
export function timeCommand(cmd: string, args: string[], opts: SpawnSyncOptions = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0)
    throw new Error(
      `${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stdout).slice(-800)}${String(r.stderr).slice(-500)}`,
    );
  return s;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const fmt = (s: number): string => `${s.toFixed(3)} s`;

/**
 * As timeCommand, but without blocking the event loop: a bench whose own children (a lab's mariadbd) may exit
 * while it times must keep reaping them, or they stay zombies that `kill -0` still sees.
 */
export function timeCommandAsync(cmd: string, args: string[], opts: SpawnOptions = {}): Promise<number> {
  const t0 = process.hrtime.bigint();
  const c = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  let out = '';
  c.stdout?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-1300)));
  c.stderr?.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-1300)));
  return new Promise((resolve, reject) =>
    c.on('close', (code) => {
      const s = Number(process.hrtime.bigint() - t0) / 1e9;
      if (code === 0) resolve(s);
      else reject(new Error(`${cmd} ${args.join(' ')} exited ${code}: ${out}`));
    }),
  );
}

export interface Usage {
  /** wall time, seconds */
  wall: number;
  /** user + system CPU of the command and every child it waited for, seconds */
  cpu: number;
  /** peak resident set of the largest single process, KB */
  rssKb: number;
}

/** As timeCommand, with the client's CPU time and peak RSS from GNU time (`/usr/bin/time -f`). */
export function usageOf(cmd: string, args: string[], opts: SpawnSyncOptions = {}): Usage {
  const out = join(mkdtempSync(join(tmpdir(), 'fabts-bench-')), 'time');
  try {
    const wall = timeCommand('/usr/bin/time', ['-f', '%U %S %M', '-o', out, cmd, ...args], opts);
    const [user, sys, rss] = readFileSync(out, 'utf8').trim().split('\n').at(-1)!.split(' ').map(Number);
    return { wall, cpu: user! + sys!, rssKb: rss! };
  } finally {
    rmSync(dirname(out), { recursive: true, force: true });
  }
}
