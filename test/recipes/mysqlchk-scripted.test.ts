// installMysqlchk and haproxyMysql on scripted hosts: the exact commands and messages (the lab runs them for real).
import { describe, expect, it } from 'vitest';
import { haproxyMysql, installMysqlchk } from '../../lib/recipes/mysqlchk.js';
import { PID_ALIVE } from '../../lib/system/service.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type TaskRun } from '../../lib/testing/index.js';

const messages = (r: TaskRun, host: string) =>
  r.events.flatMap((e) => (e.type === 'message' && e.host === host ? [e.text] : []));

describe('installMysqlchk without systemd', () => {
  it('starts the check detached with a pid file, waits for its URL, and says so', async () => {
    const host = new ScriptedTransport('db1')
      .on('test -d /run/systemd/system', { code: 1 })
      .on(`${PID_ALIVE}; p=$(cat /run/fab-mysqlchk.pid 2>/dev/null) && alive "$p"`, { code: 1 })
      .on(() => true, {});
    const r = await runTask(
      task({}, (ctx) => installMysqlchk(ctx)),
      { hosts: { db1: { transport: host, settings: { mysqlchkLog: '/var/log/my check.log' } } } },
    );
    expect(r.exitCode).toBe(0);
    const seen = host.commands.map((c) => c.command);
    expect(seen).toContain(
      `${PID_ALIVE}; ` +
        'p=$(cat /run/fab-mysqlchk.pid 2>/dev/null) && kill "$p" 2>/dev/null; rm -f /run/fab-mysqlchk.pid; ' +
        'i=0; while alive "$p"; do i=$((i+1)); ' +
        '[ $i -gt 100 ] && { echo "the running check (pid $p) did not stop within 10s" >&2; exit 1; }; sleep 0.1; done; ' +
        'setsid /usr/bin/python3 /usr/local/sbin/fab-mysqlchk --bind 0.0.0.0 --port 31337 --db-host 127.0.0.1 ' +
        '--defaults-file /etc/fab-mysqlchk/client.cnf --pidfile /run/fab-mysqlchk.pid ' +
        "</dev/null >>'/var/log/my check.log' 2>&1 &",
    );
    expect(seen.at(-1)).toBe(
      "python3 -c 'import sys,urllib.request as u\ntry: u.urlopen(sys.argv[1], timeout=3)\nexcept u.HTTPError: pass' " +
        "'http://127.0.0.1:31337/mysqlchk/?port=3306'",
    );
    expect(messages(r, 'db1')).toEqual(['mysqlchk installed and running: http://127.0.0.1:31337/mysqlchk/?port=3306']);
  });

  it('in a dry run, says what it would install', async () => {
    const host = new ScriptedTransport('db1')
      .on('test -d /run/systemd/system', { code: 1 })
      .on(/^if \[ -f /, { stdout: 'absent\n' })
      .on(() => true, {});
    const r = await runTask(
      task({}, (ctx) => installMysqlchk(ctx)),
      { hosts: { db1: host }, dryRun: true },
    );
    expect(r.exitCode).toBe(0);
    expect(messages(r, 'db1')).toEqual([
      'mysqlchk would be installed/restarted: http://127.0.0.1:31337/mysqlchk/?port=3306',
    ]);
  });
});

describe('haproxyMysql', () => {
  it('writes the listen section for the db hosts, reloads, and names them', async () => {
    const lb = new ScriptedTransport('lb1').on(() => true, {});
    const db = (name: string) => ({ transport: new ScriptedTransport(name).on(() => true, {}), roles: ['db'] });
    const r = await runTask(
      task({}, (ctx) => (ctx.host.name === 'lb1' ? haproxyMysql(ctx) : undefined)),
      { hosts: { lb1: lb, db1: db('db1'), db2: db('db2') } },
    );
    expect(r.exitCode).toBe(0);
    expect(lb.commands.at(-1)?.command).toBe('systemctl reload haproxy');
    expect(messages(r, 'lb1')).toEqual(['haproxy listen mysql written and reloaded (db1, db2)']);
  });
});
