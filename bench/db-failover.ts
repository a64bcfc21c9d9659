/**
 * bench/db.ts's failover part: installMysqlchk on db1, db2 and haproxyMysql on dblb, as a user would set them up, then
 * `n` times: a new client through HAProxy every 100 ms, SIGTERM to db1, the time until db2 answers, db1 back.
 */
import { join } from 'node:path';
import { failover, lbLoad } from '../test/lab/db-load.js';
import type { ServiceHost } from '../test/lab/webtier.js';
import { median, timeCommand } from './measure.js';

export async function failovers(lab: ServiceHost, n: number, root: string, env: NodeJS.ProcessEnv) {
  if (n) {
    for (const a of [
      ['-H', 'db1,db2', 'installMysqlchk'],
      ['-H', 'dblb', 'haproxyMysql'],
    ])
      timeCommand(process.execPath, [join(root, 'bin/fab.js'), 'lab', ...a], { cwd: root, env });
  }
  const fo = [];
  for (let i = 0; i < n; i++) {
    const load = lbLoad(lab.state, { everyMs: 100 });
    try {
      const f = await failover(lab, load);
      await load.waitFor(1, f.back);
      const log = await load.stop();
      fo.push({
        toBackupMs: f.onBackup - f.down,
        goneMs: f.gone - f.down,
        backMs: f.back - f.up,
        requests: log.length,
        failed: log.filter((e) => e.error).length,
      });
    } finally {
      await load.stop();
    }
  }
  const medianMs = fo.length ? median(fo.map((f) => f.toBackupMs)) : null;
  console.log(
    `failover: db2 answered through HAProxy ${medianMs} ms (median of ${n}) after db1 got SIGTERM; ` +
      fo.map((f) => `${f.toBackupMs} ms, ${f.failed}/${f.requests} failed`).join('; '),
  );
  return { medianMs, runs: fo };
}
