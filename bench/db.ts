/**
 * Database recipes: `fab lab -H db1 backup` (mariabackup --backup + --prepare, keep N, size) against
 * the same two mariabackup commands typed by hand over ssh, on a database of about 200 MB, median
 * of N alternating runs. Run as root: npm run bench:db [-- --runs 3 --mb 200]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { rootSql } from '../test/lab/db.js';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir, repoRoot } from '../test/lab/repo.js';
import { fmt, median, timeCommand } from './measure.js';
import { argOf } from './args.js';

const runs = Number(argOf('runs', '3'));
const mb = Number(argOf('mb', '200'));
const root = repoRoot();
const dir = labDir('lab-bench-db');

const lab = await startLab({ dir, net: LAB_NETS.bench, web: 0, db: true });
try {
  const db = lab.state.db!;
  const t0 = Date.now();
  // ~1 KB of incompressible text per row
  await rootSql(lab.state, 'db1', 'CREATE TABLE shop.pad (id INT AUTO_INCREMENT PRIMARY KEY, v VARCHAR(1000)) ENGINE=InnoDB');
  for (let i = 0; i < mb; i += 10) {
    await rootSql(lab.state, 'db1', 'USE shop; INSERT INTO pad (v) SELECT REPEAT(MD5(RAND()), 31) FROM seq_1_to_10000'); // 10 MB per statement
  }
  console.log(`filled db1 with ${mb} MB of rows in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  const env = { ...process.env, FAB_LAB_DIR: dir, NO_COLOR: '1' };
  const fab = () => timeCommand(process.execPath, [join(root, 'bin/fab.js'), 'lab', '-H', 'db1', '--set', 'backupKeep=1', 'backup'], { cwd: root, env });
  const hand = (i: number) => {
    const t = `/srv/backups/by-hand-${i}`;
    return timeCommand('ssh', ['-F', lab.state.sshConfig, 'db1',
      `sudo rm -rf ${t} && sudo mariabackup --defaults-file=${db.conf} --user=${db.user} --password=${db.password} --backup --target-dir=${t} 2>/dev/null` +
      ` && sudo mariabackup --prepare --target-dir=${t} 2>/dev/null && sudo du -sb ${t} && sudo rm -rf ${t}`]);
  };
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(fab());
    b.push(hand(i));
  }
  const res = { date: new Date().toISOString(), mb, runs, fab: median(a), hand: median(b), ratio: median(a) / median(b), all: { fab: a, hand: b } };
  console.log(`backup of ${mb} MB: fab ${fmt(res.fab)}, by hand over ssh ${fmt(res.hand)}, ratio ${res.ratio.toFixed(3)} (target at most 1.05)`);
  mkdirSync(join(root, '.fab/bench'), { recursive: true });
  writeFileSync(join(root, '.fab/bench/db.json'), JSON.stringify(res, null, 2) + '\n');
} finally {
  await lab.remove();
}
