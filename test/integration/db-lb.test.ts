// mysqlchk.ts against real MariaDB and HAProxy: the health check, the listen section, failover under load.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { failover, lbLoad, queryLb, type Failover } from '../lab/db-load.js';
import { startLab, type Lab } from '../lab/lab.js';
import { LAB_NETS, testRunDir } from '../lab/repo.js';
import { httpGet } from '../lab/webtier.js';

let lab: Lab;
const dir = testRunDir('lab-db-lb');
const run = (args: string[]) => fab(['lab', ...args], { env: { FAB_LAB_DIR: dir } });
const host = (n: string) => lab.state.hosts[n]!;
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const chk = (n: string, port = 3306) => httpGet(`http://${host(n).address}:31337/mysqlchk/?port=${port}`);

beforeAll(async () => {
  lab = await startLab({ dir, net: LAB_NETS.dbTests, web: 0, db: true });
}, 120_000);
afterAll(async () => {
  await lab?.stop();
});

describe('installMysqlchk and haproxyMysql', () => {
  it('installs the check on both db hosts: 200 for a live port, 503 for a dead one; twice changes nothing', async () => {
    const r = await run(['-H', 'db1,db2', 'installMysqlchk']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/\[db1\] mysqlchk installed and running/);
    expect((await chk('db1')).status).toBe(200);
    expect((await chk('db2')).status).toBe(200);
    expect((await chk('db1', 3307)).status).toBe(503);
    const cnf = `${host('db1').root}/etc/fab-mysqlchk/client.cnf`;
    const before = sha(cnf);
    const again = await run(['-H', 'db1,db2', 'installMysqlchk']);
    expect(again.code).toBe(0);
    expect(again.stdout).toMatch(/\[db1\] mysqlchk unchanged and running/);
    expect(again.stdout).toMatch(/\[db2\] mysqlchk unchanged and running/);
    expect(sha(cnf)).toBe(before);
    expect(again.stdout + r.stdout).not.toContain(lab.state.db!.password);
  });

  it('writes the listen section (validated, reloaded); a second run is unchanged', async () => {
    const conf = `${host('dblb').root}/etc/haproxy/haproxy.cfg`;
    const r = await run(['-H', 'dblb', 'haproxyMysql']);
    expect(r.code, r.stdout).toBe(0);
    const text = readFileSync(conf, 'utf8');
    expect(text).toMatch(/server db1 \S+:3306 check port 31337 inter 300ms rise 2 fall 2\n/);
    expect(text).toMatch(/server db2 \S+:3306 check port 31337 inter 300ms rise 2 fall 2 backup\n/);
    const once = sha(conf);
    const again = await run(['-H', 'dblb', 'haproxyMysql']);
    expect(again.stdout).toMatch(/listen mysql unchanged/);
    expect(sha(conf)).toBe(once);
    for (const end = Date.now() + 10_000; (await queryLb(lab.state)).id !== 1;)
      if (Date.now() > end) throw new Error('no answer from db1 through HAProxy');
  });

  it('fails over to db2 when db1 stops, and back when it starts; only requests in flight at the switch fail', async () => {
    const WORKERS = 3;
    const load = lbLoad(lab.state, { workers: WORKERS });
    let f: Failover;
    try {
      f = await failover(lab, load);
      await load.waitFor(1, f.back); // a while on db1 again
    } finally {
      await load.stop();
    }
    const failed = load.log.filter((e) => e.error);
    console.log(
      `[failover] ${load.log.length} requests by ${WORKERS} clients, ${failed.length} failed; db2 answered ${f.onBackup - f.down} ms ` +
        `after db1 got SIGTERM (its process gone after ${f.gone - f.down} ms), db1 again ${f.back - f.up} ms after its start`,
    );
    // only requests in flight while db1 went away (open at its stop, or begun before its process was gone) may fail: each
    // client has one request open at a time, so at most one per client. Later ones, sent to db1 before HAProxy's checks
    // mark it DOWN, are refused and redispatched to db2 (retries, option redispatch): slower, but they succeed.
    expect(failed.length).toBeLessThanOrEqual(WORKERS);
    expect(failed.filter((e) => !(e.start < f.gone && e.end > f.down))).toEqual([]);
    // and traffic is back on db1 after its start, with nothing failing once it answers
    expect(load.log.some((e) => e.start >= f.up && e.id === 1)).toBe(true);
    expect(load.log.filter((e) => e.start >= f.back && e.error)).toEqual([]);
  });

  it('haproxyLogging: rsyslog drop-in, rate limits and logrotate entry, validated for real; twice changes nothing', async () => {
    const root = host('dblb').root;
    const files = ['/etc/rsyslog.d/10-haproxy.conf', '/srv/rsyslog.conf', '/etc/logrotate.d/haproxy'].map(
      (f) => root + f,
    );
    const r = await run(['-H', 'dblb', 'haproxyLogging']);
    expect(r.code, r.stdout).toBe(0);
    expect(r.stdout).toMatch(/updated, rsyslog restarted/);
    expect(readFileSync(files[0]!, 'utf8')).toMatch(/^local0\.\* -\/srv\/haproxy\.log;Haproxy$/m);
    expect(readFileSync(files[1]!, 'utf8')).toMatch(
      /^module\(load="imuxsock" SysSock\.RateLimit\.Interval="2" SysSock\.RateLimit\.Burst="25000"\)/m,
    );
    expect(readFileSync(files[2]!, 'utf8')).toMatch(/postrotate\n\s+\[ ! -f \/run\/rsyslogd\.pid \] \|\| kill -HUP/);
    const sums = files.map(sha);
    const again = await run(['-H', 'dblb', 'haproxyLogging']);
    expect(again.stdout).toMatch(/haproxy logging to \/srv\/haproxy\.log: unchanged/);
    expect(files.map(sha)).toEqual(sums);
    // a broken value is refused by rsyslogd -N1 and nothing is written
    const bad = await run(['-H', 'dblb', '--set', 'rsyslogRateLimitBurst=lots', 'haproxyLogging']);
    expect(bad.code).not.toBe(0);
    expect(files.map(sha)).toEqual(sums);
  });

  it('ensurePackages: nothing to do when all are installed; --dry-run shows the apt-get install of the missing one only', async () => {
    const fx = ['-f', 'test/fixtures/db/fabfiles', 'lab', '-H', 'db1'];
    const ok = await fab([...fx, 'ensurePkgs:rsyslog;logrotate'], { env: { FAB_LAB_DIR: dir } });
    expect(ok.code, ok.stdout).toBe(0);
    expect(ok.stdout).toMatch(/missing: none/);
    expect(ok.stdout).not.toMatch(/apt-get/);
    const dry = await fab([...fx, '--dry-run', 'ensurePkgs:rsyslog;fabts-no-such-package'], {
      env: { FAB_LAB_DIR: dir },
    });
    expect(dry.code, dry.stdout).toBe(0);
    expect(dry.stdout).toMatch(/would install: fabts-no-such-package\n/);
    expect(dry.stdout).toMatch(/apt-get install -y -q fabts-no-such-package$/m);
  });
});
