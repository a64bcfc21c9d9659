// The db tier of a `db: true` lab: db1 and db2, each a real mariadbd inside its host (own datadir,
// binlog, server id, listening on the host's own address:3306), with a login for fabfiles and one for
// replication. Started as lab services; see README.md.
import { randomBytes } from 'node:crypto';
import { chownSync, copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { account } from './files.js';
import type { HostSpec } from './host.js';
import { logTail } from './host.js';
import { isAlive, mustRun, run, sleep } from './proc.js';
import type { LabDb, LabService, LabState } from './types.js';
import type { ServiceHost } from './webtier.js';

export const MARIADBD = '/usr/sbin/mariadbd';
/** per-host copies of /etc/mysql (the lab's my.cnf replaces the system's symlink there) and of mysqlchk's paths */
export const DB_BINDS = ['/etc/mysql', '/etc/fab-mysqlchk', '/usr/local/sbin'];
export const DB_HOSTS = ['db1', 'db2'];
/** HAProxy for MySQL in front of db1/db2 (the web tier's LBs are separate) */
export const DB_LB = 'dblb';
const HAPROXY_CONF = '/etc/haproxy/haproxy.cfg';
const CONF = '/etc/mysql/my.cnf';
const BASE = '/srv/mysql';
const RUN = '/run/mysqld';

/** db1, db2 (the caller gives each the next lab address) */
export function dbSpecs(): HostSpec[] {
  return [
    ...DB_HOSTS.map((name) => ({ name, address: '', port: 2222, roles: ['db'], binds: DB_BINDS })),
    {
      name: DB_LB,
      address: '',
      port: 2222,
      roles: ['lb', 'dblb'],
      binds: ['/etc/haproxy', '/etc/rsyslog.d', '/etc/logrotate.d'],
      lbKind: 'haproxy' as const,
    },
  ];
}

export function dbInfo(specs: HostSpec[]): LabDb {
  const hosts = specs.filter((s) => s.roles.includes('db')).map((s) => s.name);
  return {
    hosts,
    port: 3306,
    conf: CONF,
    datadir: `${BASE}/data`,
    backupRoot: '/srv/backups',
    socket: `${RUN}/mysqld.sock`,
    pidFile: `${RUN}/mysqld.pid`,
    serverUser: 'mysql',
    user: 'fabdba',
    password: randomBytes(12).toString('base64url'),
    replUser: 'repl',
    replPassword: randomBytes(12).toString('base64url'),
    database: 'shop',
    lb: DB_LB,
    lbConf: HAPROXY_CONF,
    lbPidFile: '/run/haproxy.pid',
    lbReload: 'kill -USR2 $(cat /run/haproxy.pid)',
    start: `mkdir -p ${RUN} && chown mysql: ${RUN} && setsid ${MARIADBD} --defaults-file=${CONF} </dev/null >>${BASE}/log/mariadbd.out 2>&1 &`,
  };
}

function myCnf(db: LabDb, address: string, serverId: number): string {
  return `# fabts lab: MariaDB on this host (written by test/lab/db.ts at lab start)
[mariadbd]
datadir=${db.datadir}
socket=${db.socket}
pid-file=${db.pidFile}
log-error=${BASE}/log/mysqld.err
port=${db.port}
bind-address=${address}
user=${db.serverUser}
server-id=${serverId}
log-bin=mysql-bin
relay-log=relay-bin
skip-name-resolve
innodb-buffer-pool-size=32M
innodb-log-file-size=8M

[client]
socket=${db.socket}
`;
}

/** HAProxy of the db tier before haproxyMysql: only a stats page (HAProxy needs one proxy to start). */
function haproxyCfg(address: string): string {
  return `# fabts lab: HAProxy for MySQL on ${DB_LB} (written by test/lab/db.ts; fab haproxyMysql adds listen mysql)
global
    master-worker
    pidfile /run/haproxy.pid
    stats socket /run/haproxy/admin.sock mode 600 level admin
    log stderr format raw local0 info

defaults
    mode tcp
    log global
    timeout connect 1s
    timeout client 30s
    timeout server 30s

listen stats
    bind ${address}:8404
    mode http
    stats enable
    stats uri /
`;
}

/** Fresh datadir (mariadb-install-db), my.cnf, log and run dirs inside each db host's root. */
export async function prepareDbTier(state: LabState, db: LabDb): Promise<void> {
  const mysql = account(db.serverUser);
  const lbRoot = state.hosts[db.lb]!.root;
  writeFileSync(lbRoot + HAPROXY_CONF, haproxyCfg(state.hosts[db.lb]!.address), { mode: 0o644 });
  mkdirSync(`${lbRoot}/run/haproxy`, { recursive: true, mode: 0o755 });
  rmSync(`${lbRoot}/run/haproxy.pid`, { force: true });
  // a single-file bind mount cannot be replaced by rename: haproxyLogging edits this copy (rsyslogConf setting)
  copyFileSync('/etc/rsyslog.conf', `${lbRoot}/srv/rsyslog.conf`);
  await Promise.all(
    db.hosts.map(async (name, i) => {
      const h = state.hosts[name]!;
      const root = h.root;
      rmSync(root + BASE, { recursive: true, force: true });
      for (const d of [BASE, `${BASE}/log`, `${BASE}/tmp`, db.datadir, RUN]) {
        mkdirSync(root + d, { recursive: true, mode: 0o750 });
        chownSync(root + d, mysql.uid, mysql.gid);
      }
      mkdirSync(root + db.backupRoot, { recursive: true, mode: 0o750 });
      rmSync(root + CONF, { force: true }); // the seeded copy is a symlink into the system's /etc/alternatives
      writeFileSync(root + CONF, myCnf(db, h.address, i + 1), { mode: 0o644 });
      await mustRun(
        'mariadb-install-db',
        [
          '--no-defaults',
          `--datadir=${root}${db.datadir}`,
          `--user=${db.serverUser}`,
          '--auth-root-authentication-method=normal',
          '--skip-test-db',
          '--innodb-log-file-size=8M',
          // its own tmpdir: the bootstrap server's temp tables in a shared /tmp were seen to vanish under parallel runs
          `--tmpdir=${root}${BASE}/tmp`,
        ],
        { timeoutMs: 60_000 },
      );
    }),
  );
}

const sockOf = (state: LabState, name: string) => state.hosts[name]!.root + state.db!.socket;

/** SQL as root over the host's unix socket (from the lab, not through ssh). */
export function rootSql(state: LabState, name: string, statements: string): Promise<string> {
  return mustRun('mariadb', ['--no-defaults', '-S', sockOf(state, name), '-uroot', '--batch', '--skip-column-names'], {
    input: statements,
  });
}

export async function startDbHost(lab: ServiceHost, name: string, timeoutMs: number): Promise<LabService> {
  const svc = await lab.spawnInHost(name, [MARIADBD, `--defaults-file=${CONF}`], { name: `${name}-mariadb` });
  const end = Date.now() + timeoutMs;
  for (;;) {
    if (!isAlive(svc.pid, svc.startTime)) break;
    if ((await run('mariadb', ['--no-defaults', '-S', sockOf(lab.state, name), '-uroot', '-e', 'select 1'])).code === 0)
      return svc;
    if (Date.now() > end) break;
    await sleep(50);
  }
  const err = `${lab.state.hosts[name]!.root}${BASE}/log/mysqld.err`;
  throw new Error(
    `lab: mariadb on ${name} is not ready (pid ${svc.pid}${isAlive(svc.pid) ? '' : ', exited'})\n--- tail of ${err} ---\n${logTail(err)}`,
  );
}

/** Start mariadbd on every db host and HAProxy on dblb; logins for fabfiles (all privileges) and for replication. */
export async function startDbTier(lab: ServiceHost, timeoutMs: number): Promise<void> {
  const db = lab.state.db!;
  const env = { PATH: '/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin', LANG: 'C.UTF-8', HOME: '/root' };
  const lb = await lab.spawnInHost(db.lb, ['/usr/sbin/haproxy', '-W', '-db', '-f', HAPROXY_CONF], {
    name: `${db.lb}-haproxy`,
    env,
  });
  for (
    const end = Date.now() + timeoutMs;
    (await run('bash', ['-c', `exec 3<>/dev/tcp/${lab.state.hosts[db.lb]!.address}/8404`])).code !== 0;
    await sleep(20)
  ) {
    if (!isAlive(lb.pid, lb.startTime) || Date.now() > end)
      throw new Error(`lab: haproxy on ${db.lb} is not ready\n${logTail(lb.log)}`);
  }
  await Promise.all(db.hosts.map((n) => startDbHost(lab, n, timeoutMs)));
  await Promise.all(
    db.hosts.map((n) =>
      rootSql(
        lab.state,
        n,
        `
    CREATE USER '${db.user}'@'%' IDENTIFIED BY '${db.password}';
    GRANT ALL ON *.* TO '${db.user}'@'%' WITH GRANT OPTION;
    CREATE USER '${db.user}'@'localhost' IDENTIFIED BY '${db.password}';
    GRANT ALL ON *.* TO '${db.user}'@'localhost' WITH GRANT OPTION;
    CREATE USER '${db.replUser}'@'%' IDENTIFIED BY '${db.replPassword}';
    GRANT REPLICATION SLAVE ON *.* TO '${db.replUser}'@'%';
    CREATE DATABASE ${db.database};
  `,
      ),
    ),
  );
}
