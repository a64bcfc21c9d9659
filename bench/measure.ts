import { spawnSync, type SpawnSyncOptions } from 'node:child_process';

/** Wall time of one command in seconds; throws if it fails, so a broken run is never timed as fast. */
export function timeCommand(cmd: string, args: string[], opts: SpawnSyncOptions = {}): number {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...opts });
  const s = Number(process.hrtime.bigint() - t0) / 1e9;
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${String(r.stderr).slice(-500)}`);
  return s;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};

export const fmt = (s: number): string => `${s.toFixed(3)} s`;
