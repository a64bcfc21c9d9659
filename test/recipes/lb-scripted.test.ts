// The nginx reload wait and the HAProxy drain loop, on scripted LB hosts (the lab tests run them on real ones).
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_MARK } from '../../lib/commands/haproxy-socket.js';
import { RELOAD_EXIT, TEST_FAILED_EXIT } from '../../lib/commands/nginx.js';
import { COMMITTED, EXIT, READ_DONE, READ_START, STARTED } from '../../lib/files/commit-script.js';
import { setHaproxyServer } from '../../lib/recipes/haproxy.js';
import { checkNginx, setNginxBackend } from '../../lib/recipes/nginx.js';
import { setLbBackend } from '../../lib/recipes/lb.js';
import { rolling } from '../../lib/rolling/rolling.js';
import type { TaskContext } from '../../lib/task/context.js';
import type { FabEvent } from '../../lib/report/events.js';
import { task } from '../../lib/task/task.js';
import { parseStat } from '../../lib/recipes/haproxy-conf.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';

const NGINX = 'upstream app {\n    server web1:8080;\n    server web2:8080;\n}\n';
const has = (s: string) => (c: SeenCommand) => c.command.includes(s);
/** What a commit script that reads first prints before it waits for its stdin: `prelude`'s output, then the read. */
const readFirst = (data: string, prelude = '') =>
  `${STARTED}\n${prelude}${READ_START}\n${Buffer.from(data).toString('base64')}\n${READ_DONE}\n`;
const readsFirst = (c: SeenCommand) => c.command.startsWith('sh -c ') && c.command.includes(READ_START);

/**
 * An nginx host where the edit's commit script reads the conf, then (given the new one) replaces it and ends with
 * the reload (pid file, workers, reload, polls, kill -0 on the host), answering `reload`.
 */
function nginxHost(reload: { code?: number; stdout?: string; stderr?: string }): ScriptedTransport {
  return new ScriptedTransport('lb1')
    .on(has('[ -w '), { code: 1 }) // the login user cannot replace the conf: edit as root
    .opening(readsFirst, readFirst(NGINX))
    .once((c) => c.command.startsWith('sh -c ') && c.command.includes('pgrep -P'), {
      ...reload,
      stdout: `${COMMITTED}\n${reload.stdout ?? ''}`,
    });
}
const disable = (server: string) => task({}, (ctx) => setNginxBackend(ctx, server, false));
const nginxSettings = { nginxReloadTimeout: 0.5 };

describe('nginx: disable a backend, reload, wait for the old workers', () => {
  it('reads, replaces, reloads and waits in one commit script, as root: one command after the probe', async () => {
    const t = nginxHost({ stdout: 'waited-ms 42\n100\n' });
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings: nginxSettings } } });
    expect(r.exitCode).toBe(0);
    t.verify();
    // nginx's own wait for its old workers, measured on the host, is reported apart from fab's time.
    expect(r.events.filter((e) => e.type === 'lb.wait')).toEqual([
      expect.objectContaining({ type: 'lb.wait', host: 'lb1', lb: 'nginx', ms: 42 }),
    ]);
    const cmds = t.commands.map((c) => c.command);
    const script = cmds.find((c) => c.includes('pgrep -P'))!;
    expect(cmds.indexOf(script)).toBe(cmds.length - 1); // nothing after it (kill -0 is inside)
    expect(cmds.filter((c) => c.startsWith('sh -c '))).toEqual([script]); // the commit and the reload are one
    expect(cmds).toHaveLength(2); // the sudo 'auto' probe, then the script, which reads the conf itself
    expect(t.commands.find((c) => c.command === script)!.sudo).toBe(true);
    // Sent out with the read, the script gets the hash of what was read, then the new conf, on its stdin.
    const sha = createHash('sha256').update(NGINX).digest('hex');
    expect(t.commands.find((c) => c.command === script)!.stdin).toBe(
      `${sha}\n${NGINX.replace('server web2', '#server web2')}`,
    );
    expect(script).toContain('IFS= read -r want');
    const order = [
      'base64 -w0',
      'IFS= read -r want',
      'sha256sum',
      'nginx -t -q -c',
      'mv -f -- "$tmp" "$f"',
      COMMITTED,
      'cat -- /run/nginx.pid',
    ];
    const at = [...order, 'nginx -s reload', '[ $i -le 5 ]', 'kill -0 "$pid" || exit'].map((part) =>
      script.indexOf(part),
    );
    expect(at.every((i, n) => i >= 0 && (n === 0 || i > at[n - 1]!))).toBe(true); // all there, in this order
    expect(cmds.filter((c) => c.includes('nginx.pid'))).toHaveLength(1); // one read of the pid file
    expect(r.value('lb1')).toMatchObject({ changed: true });
  });

  it('without a validate command, tests the whole conf in the same script and puts the old file back on failure', async () => {
    const t = new ScriptedTransport('lb1')
      .on(has('[ -w '), { code: 1 })
      .opening(readsFirst, readFirst(NGINX))
      .once((c) => c.command.startsWith('sh -c '), {
        code: TEST_FAILED_EXIT,
        stdout: `${COMMITTED}\n`,
        stderr: 'nginx: [emerg] unknown directive\n',
      });
    const settings = { ...nginxSettings, nginxValidate: '' };
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings } } });
    t.verify();
    expect(r.error('lb1')).toMatchObject({ name: 'FileEditError', host: 'lb1', path: '/etc/nginx/nginx.conf' });
    expect(r.error('lb1')!.message).toMatch(
      /nginx -t failed after the edit; the previous file is back:\n\s+nginx: \[emerg\] unknown directive/,
    );
    const script = t.commands.at(-1)!.command;
    const restore = `nginx -t -q || { mv -f -- /etc/nginx/nginx.conf.fab-bak /etc/nginx/nginx.conf; exit ${TEST_FAILED_EXIT}; }`;
    expect(script).toContain(restore);
    expect(script.indexOf(restore)).toBeLessThan(script.indexOf('nginx -s reload'));
    expect(script).not.toContain('nginx -t -q -c');
    expect(t.commands).toHaveLength(2); // probe, the one script (its own read): no separate test, restore or reload
  });

  it('reloads on its own as root when the login user edits the conf itself (nginxSudo auto)', async () => {
    const t = new ScriptedTransport('lb1')
      .on(has('[ -w '), {}) // the login user may replace it
      .once((c) => c.command.startsWith('sh -c ') && !c.command.includes('pgrep'), { stdout: `${STARTED}\n` })
      .once((c) => c.command.startsWith('sh -c ') && c.command.includes('pgrep -P'), { stdout: '100\n' });
    t.files.set('/etc/nginx/nginx.conf', { data: Buffer.from(NGINX), mode: 0o644 });
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings: nginxSettings } } });
    expect(r.exitCode).toBe(0);
    t.verify();
    const [commit, reload] = t.commands.filter((c) => c.command.startsWith('sh -c '));
    expect([commit!.sudo, reload!.sudo]).toEqual([false, true]);
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

/**
 * An HAProxy host whose `show stat` answers come from `stats`, one per call (the last repeats). The commit script
 * that ends with the drain answers as the host's would: the drain's answer, the first poll, and maint when that
 * poll shows no session (the script's own test of it runs on a real shell in test/commands/lb.test.ts).
 */
function haproxyHost(stats: string[], drainAnswer = '', conf = HAPROXY): { t: ScriptedTransport; admin: string[] } {
  const admin: string[] = [];
  let n = 0;
  const next = () => stats[Math.min(n++, stats.length - 1)]!;
  const said = (c: SeenCommand) => /set server (\S+ state \w+)/.exec(c.command)![1]!;
  const t = new ScriptedTransport('lb2')
    // The guard's read, first in the commit script: `show stat`, then the conf.
    .opening(readsFirst, () => readFirst(conf, next()))
    .on(
      (c) => c.command.startsWith('sh -c ') && has('state drain')(c),
      (c) => {
        if (c.stdin === '') return { code: EXIT.aborted }; // sent nothing: changes nothing
        admin.push(said(c));
        if (drainAnswer) return { stdout: `${COMMITTED}\n${drainAnswer}\n` };
        const st = next();
        const idle = parseStat(st).find((r) => r.server === 'web2')?.scur === 0;
        if (idle) admin.push('app/web2 state maint');
        return { stdout: `${COMMITTED}\n\n${BATCH_MARK}\n${st}${idle ? `${BATCH_MARK}\n\n` : ''}` };
      },
    )
    .on(
      (c) => c.command.startsWith('sh -c ') && has('state ready')(c),
      (c) => (admin.push(said(c)), { stdout: `${COMMITTED}\n\n` }),
    )
    .on(has('show stat'), () => ({ stdout: next() }))
    .on(has('set server'), (c) => (admin.push(said(c)), { stdout: '\n' }));
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
    // One script: the guard's `show stat` with the conf read, the drain and the first poll; then one more poll.
    expect(t.commands.filter(has('show stat')).map((c) => c.command.startsWith('sh -c '))).toEqual([true, false]);
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
    // The commit script read `show stat` and the conf itself, then was sent nothing (it exits, changing nothing).
    expect(t.commands.map((c) => [c.command.startsWith('sh -c '), c.stdin])).toEqual([[true, '']]);
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
    // No session left at the first poll: maint in the same script, one command in all.
    expect(t.commands).toHaveLength(1);
  });
});

describe('HAProxy: one script per change', () => {
  const two = stat([
    ['web1', '0', 'UP'],
    ['web2', '0', 'MAINT'],
  ]);

  it('puts a server back with the conf replaced and `state ready` said in the same script', async () => {
    const conf = HAPROXY.replace('10.0.0.2:8080 check', '10.0.0.2:8080 check disabled');
    const { t, admin } = haproxyHost([two], '', conf);
    const r = await runTask(
      task({}, (ctx) => setHaproxyServer(ctx, 'web2', true)),
      { hosts: { lb2: t } },
    );
    expect(r.exitCode).toBe(0);
    expect(admin).toEqual(['app/web2 state ready']);
    expect(t.commands).toHaveLength(1);
    const script = t.commands[0]!;
    expect(script.sudo).toBe(true);
    expect(script.stdin).toBe(`${createHash('sha256').update(conf).digest('hex')}\n${HAPROXY}`);
    expect(script.command.indexOf('mv -f -- "$tmp" "$f"')).toBeLessThan(script.command.indexOf('state ready'));
  });

  it('reports a refused drain with its answer and says nothing more on the socket', async () => {
    const guard = stat([
      ['web1', '0', 'UP'],
      ['web2', '0', 'UP'],
    ]);
    const { t, admin } = haproxyHost([guard], 'No such server.');
    const r = await runTask(drain, { hosts: { lb2: t } });
    expect(r.error('lb2')).toMatchObject({ name: 'HaproxyError', problem: 'refused' });
    expect(r.error('lb2')!.message).toBe('[lb2] haproxy refused "set server app/web2 state drain": No such server.');
    expect(admin).toEqual(['app/web2 state drain']);
    expect(t.commands).toHaveLength(1);
  });
});

/** How many commit scripts lb1 started. */
const nginxCommits = (events: readonly FabEvent[]) =>
  events.filter((e) => e.type === 'command.start' && e.host === 'lb1' && e.requested.startsWith('(replace')).length;

describe('rollingDeploy-style drains: every LB of a host at once', () => {
  const idle = stat([
    ['web1', '0', 'UP'],
    ['web2', '0', 'UP'],
  ]);
  const lbHosts = (lb2: ScriptedTransport) => ({
    lb1: { transport: nginxHost({ stdout: '100\n' }), roles: ['lb'], settings: { ...nginxSettings, nginxSudo: true } },
    lb2: { transport: lb2, roles: ['lb'], settings: { lbKind: 'haproxy' } },
  });
  /** As fabfiles/deploy.ts drains: setLbBackend on every `lb` host, in parallel. */
  const onLbs = (ctx: TaskContext, enabled: boolean) =>
    Promise.all(ctx.resolveHosts({ role: 'lb' }).map((lb) => ctx.on(lb, (l) => setLbBackend(l, 'web2', enabled))));

  it('sends both LBs their commit script (which reads first) before either answers', async () => {
    const { t: lb2, admin } = haproxyHost([idle]);
    const r = await runTask(
      task({ runsOnce: true }, (ctx) => onLbs(ctx, false)),
      { hosts: lbHosts(lb2) },
    );
    expect(r.exitCode).toBe(0);
    expect(admin).toEqual(['app/web2 state drain', 'app/web2 state maint']);
    const lbEvents = r.events.flatMap((e) =>
      e.type === 'command.start' || e.type === 'command.end' ? [{ type: e.type, host: e.host }] : [],
    );
    const firstEnd = lbEvents.findIndex((e) => e.type === 'command.end');
    // One command per LB: the script reads (lb2: `show stat` too), then waits for its new conf.
    expect(
      lbEvents
        .slice(0, firstEnd)
        .map((e) => e.host)
        .sort(),
    ).toEqual(['lb1', 'lb2']);
    expect(lbEvents.filter((e) => e.type === 'command.start')).toHaveLength(2); // nothing else after them
  });

  it('one LB failing fails the drain: the host stays drained, the other LB keeps its change, nothing undrains', async () => {
    const lb2 = new ScriptedTransport('lb2')
      .opening(readsFirst, readFirst(HAPROXY, idle))
      .once((c) => c.command.startsWith('sh -c '), {
        code: EXIT.invalid,
        stderr: '[ALERT] parsing error\n',
      });
    const web2 = new ScriptedTransport('web2').on('deploy', {});
    const dir = mkdtempSync(join(tmpdir(), 'fabts-lb-roll-'));
    try {
      const r = await runTask(
        task({ runsOnce: true }, (ctx) =>
          rolling(ctx, ctx.resolveHosts({ role: 'web' }), {
            lock: false,
            drain: () => onLbs(ctx, false),
            action: async (h) => void (await h.run('deploy')),
            undrain: () => onLbs(ctx, true),
          }),
        ),
        { hosts: { web2: { transport: web2, roles: ['web'] }, ...lbHosts(lb2) }, rolling: { root: dir } },
      );
      expect(r.exitCode).toBe(1);
      const end = r.events.find((e) => e.type === 'rolling.end');
      expect(end?.type === 'rolling.end' && end.hosts).toEqual([
        expect.objectContaining({
          host: 'web2',
          state: 'failed',
          step: 'drain',
          drained: true,
          detail: expect.stringContaining('/etc/haproxy/haproxy.cfg: validation failed'),
        }),
      ]);
      expect(web2.commands).toEqual([]); // never deployed
      lb2.verify();
      // Nothing undrains: no `state ready` on lb2, no second commit (the enable) on lb1.
      expect(lb2.commands.filter(has('state ready'))).toEqual([]);
      expect(nginxCommits(r.events)).toBe(1); // lb1's drain went out alongside lb2's, and no enable followed
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('the commit script that reads first: when its read or its prelude fails, or it never starts', () => {
  it("names HAProxy's failing `show stat` and sends the script nothing", async () => {
    const t = new ScriptedTransport('lb2')
      .opening(readsFirst, `${STARTED}\n`) // socat failed before the read: no READ_START
      .endsEarly(readsFirst, { code: 1, stderr: 'socat: connect(/run/haproxy/admin.sock): No such file\n' });
    const r = await runTask(drain, { hosts: { lb2: t } });
    t.verify();
    expect(r.error('lb2')).toMatchObject({ name: 'CommandError', host: 'lb2' });
    expect(r.error('lb2')!.message).toContain('show stat');
    expect(r.error('lb2')!.message).toContain('No such file');
    expect(t.commands.map((c) => c.stdin)).toEqual(['']);
  });

  it('says the conf is missing, as a separate read would, and changes nothing', async () => {
    const t = new ScriptedTransport('lb1')
      .on(has('[ -w '), { code: 1 })
      .opening(readsFirst, `${STARTED}\n${READ_START}\nabsent\n\n${READ_DONE}\n`)
      .once(readsFirst, (c) => ({ code: c.stdin === '' ? EXIT.aborted : 0 }));
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings: nginxSettings } } });
    t.verify();
    expect(r.error('lb1')).toMatchObject({ name: 'FileEditError', path: '/etc/nginx/nginx.conf' });
    expect(r.error('lb1')!.message).toMatch(/no such file; nothing created/);
    expect(t.commands.at(-1)!.stdin).toBe('');
  });

  it('reads as root on its own, then uploads, when sudo refuses to start the script without a terminal', async () => {
    const sudoRefused = { code: 1, stderr: 'sudo: sorry, you must have a tty to run sudo\n' };
    const t = new ScriptedTransport('lb1')
      .endsEarly(readsFirst, sudoRefused) // prints nothing: never started
      .on((c) => c.command.startsWith('if [ -f '), { stdout: Buffer.from(NGINX).toString('base64') })
      .once((c) => c.command.startsWith('sh -c ') && c.command.includes('/tmp/.fab-edit-'), {
        stdout: `${COMMITTED}\nwaited-ms 1\n100\n`,
      });
    const settings = { ...nginxSettings, nginxSudo: true };
    const r = await runTask(disable('web2'), { hosts: { lb1: { transport: t, settings } } });
    expect(r.exitCode).toBe(0);
    t.verify();
    const uploaded = [...t.files.entries()].find(([p]) => p.startsWith('/tmp/.fab-edit-'));
    expect(uploaded?.[1].data.toString()).toBe(NGINX.replace('server web2', '#server web2'));
  });
});
