// The nginx reload wait and the HAProxy drain loop, on scripted LB hosts (the lab tests run them on real ones).
import { describe, expect, it } from 'vitest';
import { BATCH_MARK } from '../../lib/commands/haproxy-socket.js';
import { RELOAD_EXIT } from '../../lib/commands/nginx.js';
import { setHaproxyServer } from '../../lib/recipes/haproxy.js';
import { checkNginx, setNginxBackend } from '../../lib/recipes/nginx.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';

const NGINX = 'upstream app {\n    server web1:8080;\n    server web2:8080;\n}\n';
const has = (s: string) => (c: SeenCommand) => c.command.includes(s);

/** An nginx host whose reload script (pid file, workers, reload, polls, kill -0 on the host) answers `reload`. */
function nginxHost(reload: { code?: number; stdout?: string; stderr?: string }): ScriptedTransport {
  return new ScriptedTransport('lb1')
    .on(has('[ -w '), { code: 1 }) // the login user cannot replace the conf: edit as root
    .on(has('base64 -w0'), { stdout: Buffer.from(NGINX).toString('base64') })
    .once(has('pgrep -P'), reload)
    .once((c) => c.command.startsWith('sh -c '));
}
const disable = (server: string) => task({}, (ctx) => setNginxBackend(ctx, server, false));
const nginxSettings = { nginxReloadTimeout: 0.5 };

describe('nginx: disable a backend, reload, wait for the old workers', () => {
  it('reloads and waits in one script on the host, after the edit, with the timeout as polls', async () => {
    const t = nginxHost({ stdout: '100\n' });
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings: nginxSettings } } });
    expect(r.exitCode).toBe(0);
    t.verify();
    const cmds = t.commands.map((c) => c.command);
    const script = cmds.find((c) => c.includes('pgrep -P'))!;
    expect(cmds.indexOf(script)).toBe(cmds.length - 1); // after the commit; nothing after it (kill -0 is inside)
    expect(t.commands.find((c) => c.command === script)!.sudo).toBe(true);
    for (const part of ['cat -- /run/nginx.pid', 'nginx -s reload', '[ $i -le 5 ]', 'kill -0 "$pid"'])
      expect(script).toContain(part);
    expect(cmds.filter((c) => c.includes('nginx.pid'))).toHaveLength(1); // one read of the pid file
    expect(r.value('lb1')).toMatchObject({ changed: true });
  });

  it('fails with the old workers named when they outlive the reload timeout', async () => {
    const t = nginxHost({ code: RELOAD_EXIT.timeout, stderr: 'old workers 201 202\n' });
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings: nginxSettings } } });
    expect(r.exitCode).toBe(1);
    expect(r.error('lb1')!.message).toMatch(
      /nginx did not finish reloading within 0.5s \(old workers 201 202 still running\)/,
    );
    expect(r.error('lb1')).toMatchObject({ name: 'NginxError', host: 'lb1', problem: 'reload-timeout' });
  });

  it('says nginx is not running when the script finds no live master, and names a failed reload', async () => {
    const gone = nginxHost({ code: RELOAD_EXIT.notRunning });
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: gone, settings: nginxSettings } } });
    expect(r.error('lb1')).toMatchObject({ name: 'NginxError', problem: 'not-running' });
    const bad = nginxHost({ code: RELOAD_EXIT.reloadFailed, stderr: 'nginx: [emerg] bad conf\n' });
    const r2 = await runTask(disable('web2'), { hosts: { lb1: { transport: bad, settings: nginxSettings } } });
    expect(r2.error('lb1')).toMatchObject({ name: 'NginxError', problem: 'reload-failed' });
    expect(r2.error('lb1')!.message).toMatch(/nginx reload \(nginx -s reload\) failed: nginx: \[emerg\] bad conf/);
  });
});

describe('nginx: the master pid is a fact of the run', () => {
  it('reads the pid file again when the cached master is gone (nginx restarted since)', async () => {
    let pidFile = '100\n';
    const t = new ScriptedTransport('lb1')
      .on('cat -- /run/nginx.pid', () => ({ stdout: pidFile }))
      .on('kill -0 100', () => ({ code: pidFile === '100\n' ? 0 : 1 }))
      .on('kill -0 200', {});
    const twice = task({}, async (ctx) => {
      await checkNginx(ctx);
      await checkNginx(ctx); // cached: no read
      pidFile = '200\n'; // restarted behind the run's back
      await checkNginx(ctx);
    });
    const r = await runTask(twice, { hosts: { lb1: t } });
    expect(r.exitCode).toBe(0);
    t.verify();
    expect(t.commands.map((c) => c.command)).toEqual([
      'cat -- /run/nginx.pid',
      'kill -0 100',
      'kill -0 100',
      'kill -0 100',
      'cat -- /run/nginx.pid',
      'kill -0 200',
    ]);
  });

  it('says nginx is not running when the pid file is missing, reading it only once', async () => {
    const t = new ScriptedTransport('lb1').on('cat -- /run/nginx.pid', {
      code: 1,
      stderr: 'No such file or directory',
    });
    const r = await runTask(
      task({}, (ctx) => checkNginx(ctx)),
      { hosts: { lb1: t } },
    );
    expect(r.exitCode).toBe(1);
    expect(r.error('lb1')).toMatchObject({ name: 'NginxError', problem: 'not-running' });
    expect(r.error('lb1')!.message).toBe('[lb1] nginx is not running (no live master in /run/nginx.pid)');
    expect(t.commands.map((c) => c.command)).toEqual(['cat -- /run/nginx.pid']);
  });
});

const stat = (rows: [string, string, string][]) =>
  `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status\n` +
  rows.map(([sv, scur, status]) => `app,${sv},0,0,${scur},0,,0,0,0,0,0,,0,0,0,0,${status}`).join('\n') +
  '\n';
const HAPROXY = 'backend app\n    server web1 10.0.0.1:8080 check\n    server web2 10.0.0.2:8080 check\n';

/** An HAProxy host whose `show stat` answers come from `stats`, one per call (the last repeats). */
function haproxyHost(stats: string[]): { t: ScriptedTransport; admin: string[] } {
  const admin: string[] = [];
  let n = 0;
  const next = () => stats[Math.min(n++, stats.length - 1)]!;
  const t = new ScriptedTransport('lb2')
    // A state change with the first poll after it, in one command: the answer, the mark, then the stat.
    .on(has(BATCH_MARK), (c) => {
      admin.push(/set server (\S+ state \w+)/.exec(c.command)![1]!);
      expect(c.command.indexOf('set server')).toBeLessThan(c.command.indexOf('show stat'));
      return { stdout: `\n${BATCH_MARK}\n${next()}` };
    })
    .on(has('show stat'), () => ({ stdout: next() }))
    .on(has('base64 -w0'), { stdout: Buffer.from(HAPROXY).toString('base64') })
    .once((c) => c.command.startsWith('sh -c '))
    .on(has('set server'), (c) => (admin.push(/set server (\S+ state \w+)/.exec(c.command)![1]!), { stdout: '\n' }));
  return { t, admin };
}
const drain = task({}, (ctx) => setHaproxyServer(ctx, 'web2', false));

describe('HAProxy: drain a server until its sessions end, then maint', () => {
  it('waits while sessions remain, then puts the server in maint', async () => {
    const { t, admin } = haproxyHost([
      stat([
        ['web1', '0', 'UP'],
        ['web2', '3', 'UP'],
      ]),
      stat([
        ['web1', '0', 'UP'],
        ['web2', '2', 'DRAIN'],
      ]),
      stat([
        ['web1', '0', 'UP'],
        ['web2', '0', 'DRAIN'],
      ]),
    ]);
    const r = await runTask(drain, { hosts: { lb2: t } });
    expect(r.exitCode).toBe(0);
    t.verify();
    expect(admin).toEqual(['app/web2 state drain', 'app/web2 state maint']);
    // The guard's read, then two polls: the first in the same command as the drain.
    expect(t.commands.filter(has('show stat'))).toHaveLength(3);
    expect(t.commands.filter(has('set server')).map((c) => c.command.includes('show stat'))).toEqual([true, false]);
  });

  it('leaves the server in drain and says how many sessions remain after the drain timeout', async () => {
    const { t, admin } = haproxyHost([
      stat([
        ['web1', '0', 'UP'],
        ['web2', '4', 'UP'],
      ]),
    ]);
    const r = await runTask(drain, { hosts: { lb2: { transport: t, settings: { haproxyDrainTimeout: 0.3 } } } });
    expect(r.exitCode).toBe(1);
    expect(admin).toEqual(['app/web2 state drain']);
    expect(r.error('lb2')!.message).toMatch(
      /app\/web2 still has 4 session\(s\) after 0.3s of draining; it stays in drain/,
    );
    expect(r.error('lb2')).toMatchObject({ name: 'HaproxyError', host: 'lb2', problem: 'drain-timeout' });
  });
});

describe('HAProxy: the last-server guard', () => {
  it('refuses to drain the last UP server when the other is DOWN by its health check, and changes nothing', async () => {
    const { t, admin } = haproxyHost([
      stat([
        ['web1', '0', 'DOWN'],
        ['web2', '1', 'UP'],
      ]),
    ]);
    const r = await runTask(drain, { hosts: { lb2: t } });
    expect(r.exitCode).toBe(1);
    expect(r.error('lb2')).toMatchObject({ name: 'HaproxyError', problem: 'last-server' });
    expect(r.error('lb2')!.message).toBe(
      '[lb2] disabling "web2" would leave backend app with no enabled server (an outage); ' +
        'pass --force to do it anyway (the other servers: web1 DOWN)',
    );
    expect(admin).toEqual([]);
    expect(t.commands.map((c) => c.command).filter((c) => !c.includes('show stat'))).toEqual([]); // not even read the conf
  });

  it('drains it with --force', async () => {
    const { t, admin } = haproxyHost([
      stat([
        ['web1', '0', 'DOWN'],
        ['web2', '0', 'UP'],
      ]),
    ]);
    const r = await runTask(
      task({}, (ctx) => setHaproxyServer(ctx, 'web2', false, true)),
      { hosts: { lb2: t } },
    );
    expect(r.exitCode).toBe(0);
    expect(admin).toEqual(['app/web2 state drain', 'app/web2 state maint']);
  });
});
