/**
 * Database recipes against the same work done by hand over ssh, side by side (alternating runs, medians):
 * - backup: `fab lab -H db1 backup` (one remote script: tool, dir, --backup, --prepare, rename, keep 1, du) against
 *   ONE ssh running ONE `sudo sh -c` with the same steps (password on the command line, as people type it);
 * - restore: `fab lab -H db1 restore DIR` (one remote script: check, stop, move aside, --copy-back, chown, start,
 *   wait for SELECT 1, verify) against ONE ssh running the same steps in one `sudo sh -c`, from the same backup;
 * - fab's fixed start-up (`fab --version`, `node -e 0`) as a share of those times;
 * - failover: time from db1's SIGTERM to the first query answered by db2 through HAProxy (a new client every 100 ms).
 * Run as root: npm run bench:db [-- --runs 3 --mb 200,1000 --failovers 3]
 */
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootSql } from '../test/lab/db.js';
import { failover, lbLoad } from '../test/lab/db-load.js';
import { startLab } from '../test/lab/lab.js';
import { mustRun } from '../test/lab/proc.js';
import { LAB_NETS, labDir, repoRoot } from '../test/lab/repo.js';
import { fmt, median, timeCommand, timeCommandAsync } from './measure.js';
import { argOf } from './args.js';

const runs = Number(argOf('runs', '3'));
const sizes = argOf('mb', '200').split(',').map(Number);
const failovers = Number(argOf('failovers', '3'));
const root = repoRoot();
const dir = labDir('lab-bench-db');
const env = { ...process.env, FAB_LAB_DIR: dir, NO_COLOR: '1' };
const fabArgs = (...a: string[]) => [join(root, 'bin/fab.js'), 'lab', '-H', 'db1', ...a];
// async: the lab's own mariadbd is this process's child, and must be reaped when fab stops it
const fab = (...a: string[]) => timeCommandAsync(process.execPath, fabArgs(...a), { cwd: root, env });

const lab = await startLab({ dir, net: LAB_NETS.bench, web: 0, db: true });
try {
  const db = lab.state.db!;
  const ssh = (script: string) => timeCommandAsync('ssh', ['-F', lab.state.sshConfig, 'db1', `sudo sh -c '${script}'`]);
  const untimed = (script: string) => mustRun('ssh', ['-F', lab.state.sshConfig, 'db1', `sudo sh -c '${script}'`]);
  const aside = `${db.datadir}.by-hand-aside`;
  const byHandBackup = (i: number) => {
    const t = `/srv/by-hand/b${i}`;
    return ssh(
      `mkdir -p -m 700 /srv/by-hand && mkdir -m 700 ${t}.partial && ` +
        `mariabackup --defaults-file=${db.conf} --user=${db.user} --password=${db.password} --backup --target-dir=${t}.partial >/tmp/bk.log 2>&1 && ` +
        `mariabackup --prepare --target-dir=${t}.partial >/tmp/bk.log 2>&1 && mv -T ${t}.partial ${t} && ` +
        `rm -rf /srv/by-hand/b${i - 1} && du -sb ${t}`,
    );
  };
  const byHandRestore = (src: string) =>
    ssh(
      `p=$(cat ${db.pidFile}) && kill -TERM $p && while kill -0 $p 2>/dev/null; do sleep 0.1; done && ` +
        `mv -T ${db.datadir} ${aside} && mkdir -m 750 ${db.datadir} && chown mysql: ${db.datadir} && ` +
        `mariabackup --defaults-file=${db.conf} --copy-back --target-dir=${src} >/tmp/rs.log 2>&1 && chown -R mysql: ${db.datadir} && ` +
        `{ ${db.start} } && ` + // the lab's start command ends in `&`
        `until mariadb --defaults-file=${db.conf} -uroot -e "SELECT 1" >/dev/null 2>&1; do sleep 0.1; done`,
    );
  // fab's fixed cost for one sudo command on db1 (start-up, host set, connection; an ad-hoc command loads no fabfiles)
  // against one ssh doing the same
  const fixed = { fab: [] as number[], hand: [] as number[] };
  for (let i = 0; i < 10; i++) {
    fixed.fab.push(
      await timeCommandAsync(process.execPath, [join(root, 'bin/fab.js'), 'lab', '-H', 'db1', '--', 'sudo true'], {
        cwd: root,
        env,
      }),
    );
    fixed.hand.push(await ssh('true'));
  }
  const startup = {
    fabSudoTrue: median(fixed.fab),
    sshSudoTrue: median(fixed.hand),
    fabVersion: median(
      Array.from({ length: 10 }, () => timeCommand(process.execPath, [join(root, 'bin/fab.js'), '--version'])),
    ),
    node: median(Array.from({ length: 10 }, () => timeCommand(process.execPath, ['-e', '0']))),
  };
  console.log(
    `start-up: fab --version ${fmt(startup.fabVersion)}, node -e 0 ${fmt(startup.node)}; ` +
      `fab lab -H db1 -- sudo true ${fmt(median(fixed.fab))} against ssh db1 sudo true ${fmt(median(fixed.hand))}`,
  );

  await rootSql(
    lab.state,
    'db1',
    'CREATE TABLE shop.pad (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1000)) ENGINE=InnoDB',
  );
  let filled = 0;
  const results = [];
  for (const mb of sizes) {
    const t0 = Date.now();
    for (; filled < mb; filled += 10) {
      // ~1 KB of incompressible text per row, 10 MB per statement
      await rootSql(
        lab.state,
        'db1',
        'USE shop; INSERT INTO pad (v) SELECT REPEAT(MD5(RAND()), 31) FROM seq_1_to_10000',
      );
    }
    console.log(`filled db1 to ${mb} MB of rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    await untimed('rm -rf /srv/by-hand');
    const backup = { fab: [] as number[], hand: [] as number[] };
    const restore = { fab: [] as number[], hand: [] as number[] };
    for (let i = 1; i <= runs; i++) {
      backup.fab.push(await fab('--set', 'backupKeep=1', 'backup'));
      backup.hand.push(await byHandBackup(i));
    }
    const src = `${db.backupRoot}/${readdirSync(`${lab.state.hosts.db1!.root}${db.backupRoot}`)
      .filter((n) => /^\d{4}-/.test(n))
      .sort()
      .pop()}`;
    for (let i = 1; i <= runs; i++) {
      restore.fab.push(await fab('restore', src));
      await untimed(`rm -rf ${db.datadir}.before-restore-*`);
      restore.hand.push(await byHandRestore(src));
      await untimed(`rm -rf ${aside}`);
    }
    const row = (x: { fab: number[]; hand: number[] }) => ({
      fab: median(x.fab),
      hand: median(x.hand),
      ratio: median(x.fab) / median(x.hand),
      all: x,
    });
    const r = { mb, backup: row(backup), restore: row(restore) };
    for (const [what, x] of [
      ['backup', r.backup],
      ['restore', r.restore],
    ] as const) {
      console.log(
        `${what} of ${mb} MB: fab ${fmt(x.fab)}, by hand over ssh ${fmt(x.hand)}, ratio ${x.ratio.toFixed(3)} (target at most 1.05); ` +
          `fab's fixed cost (fab -- sudo true minus ssh sudo true) is ${(((startup.fabSudoTrue - startup.sshSudoTrue) / x.hand) * 100).toFixed(1)} % of it` +
          `\n  runs: fab ${x.all.fab.map((v) => v.toFixed(2)).join(' ')}; by hand ${x.all.hand.map((v) => v.toFixed(2)).join(' ')}`,
      );
    }
    results.push(r);
  }

  // failover through HAProxy: the check on both db hosts and the listen section, as a user would set them up
  for (const a of [
    ['-H', 'db1,db2', 'installMysqlchk'],
    ['-H', 'dblb', 'haproxyMysql'],
  ]) {
    timeCommand(process.execPath, [join(root, 'bin/fab.js'), 'lab', ...a], { cwd: root, env });
  }
  const fo = [];
  for (let i = 0; i < failovers; i++) {
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
  const failoverMs = median(fo.map((f) => f.toBackupMs));
  console.log(
    `failover: db2 answered through HAProxy ${failoverMs} ms (median of ${failovers}) after db1 got SIGTERM; ` +
      fo.map((f) => `${f.toBackupMs} ms, ${f.failed}/${f.requests} failed`).join('; '),
  );
  const res = { date: new Date().toISOString(), runs, startup, results, failover: { medianMs: failoverMs, runs: fo } };
  mkdirSync(join(root, '.fab/bench'), { recursive: true });
  writeFileSync(join(root, '.fab/bench/db.json'), JSON.stringify(res, null, 2) + '\n');
} finally {
  await lab.remove();
}
