// The nginx reload wait and the master pid, on a scripted LB host (the lab tests run them on real ones).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { RELOAD_EXIT, TEST_FAILED_EXIT } from '../../lib/commands/nginx.js';
import { COMMITTED, STARTED } from '../../lib/files/commit-script.js';
import { checkNginx, setNginxBackend } from '../../lib/recipes/nginx.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';
import { NGINX, has, nginxHost, nginxSettings } from './lb-hosts.js';

const disable = (server: string) => task({}, (ctx) => setNginxBackend(ctx, server, false));

describe('nginx: disable a backend, reload, wait for the old workers', () => {
  it('reloads and waits at the end of the commit script, as root: one command after the read', async () => {
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
    expect(t.commands.find((c) => c.command === script)!.sudo).toBe(true);
    // Sent out with the read, the script gets the hash of what was read, then the new conf, on its stdin.
    const sha = createHash('sha256').update(NGINX).digest('hex');
    expect(t.commands.find((c) => c.command === script)!.stdin).toBe(
      `${sha}\n${NGINX.replace('server web2', '#server web2')}`,
    );
    expect(script).toContain('IFS= read -r want');
    const order = ['sha256sum', 'nginx -t -q -c', 'mv -f -- "$tmp" "$f"', COMMITTED, 'cat -- /run/nginx.pid'];
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
      .on(has('base64 -w0'), { stdout: Buffer.from(NGINX).toString('base64') })
      .once((c) => c.command.startsWith('sh -c '), {
        code: TEST_FAILED_EXIT,
        stdout: `${STARTED}\n${COMMITTED}\n`,
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
    expect(t.commands).toHaveLength(3); // probe, root read, the one script: no separate test, restore or reload
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
