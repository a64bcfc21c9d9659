// Client load through the db tier's HAProxy, and a failover of db1 under it: used by
// test/integration/db-lb.test.ts (the assertions) and bench/db.ts (the failover time).
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { startDbHost } from './db.js';
import { killPids, sleep } from './proc.js';
import type { LabState } from './types.js';
import type { ServiceHost } from './webtier.js';

export interface LbRequest {
  start: number;
  end: number;
  id?: number;
  error?: string;
}

/** One new client connection through HAProxy (port 33306): which server answered (@@server_id), or the error. */
export function queryLb(state: LabState): Promise<LbRequest> {
  const db = state.db!;
  const start = Date.now();
  return new Promise((resolve) => {
    const c = spawn(
      'mariadb',
      [
        '--no-defaults',
        '-h',
        state.hosts[db.lb]!.address,
        '-P',
        '33306',
        '-u',
        db.user,
        '-N',
        '--connect-timeout=2',
        '-e',
        'SELECT @@server_id',
      ],
      { env: { ...process.env, MYSQL_PWD: db.password }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    c.stdout.on('data', (d: Buffer) => (out += d.toString()));
    c.stderr.on('data', (d: Buffer) => (err += d.toString()));
    c.on('close', (code) =>
      resolve(
        code === 0
          ? { start, end: Date.now(), id: Number(out.trim()) }
          : { start, end: Date.now(), error: err.trim() || `exit ${code}` },
      ),
    );
  });
}

/**
 * Client load until `stop()`: `workers` closed loops (each starts a request when its last one ended), or with
 * `everyMs` an open loop (a new request every everyMs, whatever the others do: no request waits behind a hung one).
 */
export function lbLoad(state: LabState, o: { workers: number } | { everyMs: number }) {
  const log: LbRequest[] = [];
  let stopped = false;
  const pending = new Set<Promise<void>>();
  const one = () => {
    const p = queryLb(state).then((r) => {
      log.push(r);
      pending.delete(p);
    });
    pending.add(p);
    return p;
  };
  const loops =
    'workers' in o
      ? Array.from({ length: o.workers }, async () => {
          while (!stopped) await one();
        })
      : [
          (async () => {
            while (!stopped) {
              void one();
              await sleep(o.everyMs);
            }
          })(),
        ];
  return {
    log,
    /** resolves with the time of the first answer from server `id` that started at or after `since` */
    async waitFor(id: number, since: number, timeoutMs = 15_000): Promise<number> {
      for (const end = Date.now() + timeoutMs; ;) {
        const hit = log.filter((e) => e.start >= since && e.id === id).sort((a, b) => a.end - b.end)[0];
        if (hit) return hit.end;
        if (Date.now() > end) throw new Error(`no answer from server ${id}: ${JSON.stringify(log.slice(-3))}`);
        await sleep(10);
      }
    },
    async stop(): Promise<LbRequest[]> {
      stopped = true;
      await Promise.all(loops);
      await Promise.all(pending);
      return log;
    },
  };
}

export interface Failover {
  /** when db1 got SIGTERM, when its process was gone, when db2 first answered, when db1 was started again, when it answered again */
  down: number;
  gone: number;
  onBackup: number;
  up: number;
  back: number;
  log: LbRequest[];
}

/** Under `load`, stop db1 (SIGTERM, as `systemctl stop`), wait for db2 to answer, start db1, wait for it to answer. */
export async function failover(lab: ServiceHost, load: ReturnType<typeof lbLoad>): Promise<Failover> {
  const db = lab.state.db!;
  await load.waitFor(1, 0);
  const pid = Number(readFileSync(`${lab.state.hosts[db.hosts[0]!]!.root}${db.pidFile}`, 'utf8'));
  const down = Date.now();
  await killPids([pid], 60_000);
  const gone = Date.now();
  const onBackup = await load.waitFor(2, down);
  const up = Date.now();
  await startDbHost(lab, db.hosts[0]!, 15_000);
  const back = await load.waitFor(1, up);
  return { down, gone, onBackup, up, back, log: load.log };
}
