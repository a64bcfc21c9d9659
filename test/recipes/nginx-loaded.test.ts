// A conf that already says what a drain wants, while nginx still runs the old one: a run stopped between writing the
// file and reloading (a second Ctrl-C) left it so, and the resumed drain must reload rather than only check nginx.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as ng from '../../lib/commands/nginx.js';
import { EXIT, STARTED } from '../../lib/files/commit-script.js';
import { sh, type ShellCommand } from '../../lib/commands/quote.js';
import { setNginxBackend } from '../../lib/recipes/nginx.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';
import { fakeMaster } from '../helpers/fake-nginx.js';

const DRAINED = 'upstream app {\n    #server web1:8080;\n    server web2:8080;\n}\n';
const has = (s: string) => (c: SeenCommand) => c.command.includes(s);

/** An LB whose conf has web1 out already; `answer` is what the reload-unless-loaded script says. */
function lb(answer: { code?: number; stdout: string }): ScriptedTransport {
  return (
    new ScriptedTransport('lb1')
      .on(has('[ -w '), { code: 1 }) // root's file: edited as root
      .on(has('base64 -w0'), { stdout: Buffer.from(DRAINED).toString('base64') })
      .once(has('etimes='), answer)
      // The commit script sent out with the read gets nothing to write (no change): it ends changing nothing.
      .on(has(STARTED), (c) => ({ stdout: `${STARTED}\n`, code: c.stdin === '' ? EXIT.aborted : 1 }))
  );
}
const drain = task({}, (ctx) => setNginxBackend(ctx, 'web1', false));
const warnings = (r: Awaited<ReturnType<typeof runTask>>) =>
  r.events.flatMap((e) => (e.type === 'message' && e.level === 'warning' ? [e.text] : []));

describe('nginx: a drain that finds the conf drained already', () => {
  it('reloads when nginx has not loaded the file since it was written, and says so', async () => {
    const t = lb({ stdout: `waited-ms 12\n4242\n` });
    const r = await runTask(drain, { hosts: { lb1: { transport: t, settings: { nginxReloadTimeout: 0.5 } } } });
    expect(r.exitCode).toBe(0);
    t.verify();
    expect(t.commands.find(has('etimes='))!.sudo).toBe(true);
    expect(t.commands.some((c) => c.command.startsWith('kill -0'))).toBe(false); // the script checks the master
    expect(warnings(r)).toEqual(['nginx had not loaded /etc/nginx/nginx.conf since it was last written: reloaded it']);
    expect(r.value('lb1')).toMatchObject({ changed: false });
  });

  it('touches nothing when nginx runs the file as it is', async () => {
    const t = lb({ stdout: `${ng.LOADED}\n` });
    const r = await runTask(drain, { hosts: { lb1: t } });
    expect(r.exitCode).toBe(0);
    t.verify();
    expect(warnings(r)).toEqual([]);
  });

  it('fails as before when the master is gone', async () => {
    const t = lb({ code: ng.RELOAD_EXIT.notRunning, stdout: '' });
    const r = await runTask(drain, { hosts: { lb1: t } });
    expect(r.error('lb1')).toMatchObject({ name: 'NginxError', problem: 'not-running' });
  });
});

describe('nginx reloadUnlessLoaded in a real shell, against an nginx-like master', () => {
  const dir = mkdtempSync(join(tmpdir(), "fab-nginx-loaded '"));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, DRAINED);
  const run = (cmd: ShellCommand) => spawnSync('sh', ['-c', cmd.text], { encoding: 'utf8' });
  const workers = (pid: number) =>
    spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
      .stdout.split('\n')
      .filter(Boolean);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says LOADED when the workers are newer than the file, and reloads when the file is newer', async () => {
    const m = fakeMaster(dir, false);
    try {
      await new Promise((r) => setTimeout(r, 200));
      const before = workers(m.pid);
      const reload = sh`kill -HUP "$(cat -- ${m.pidFile})"`.text;
      const hourAgo = Date.now() / 1000 - 3600;
      utimesSync(conf, hourAgo, hourAgo);
      expect(run(ng.reloadUnlessLoaded(m.pidFile, conf, reload, 50))).toMatchObject({
        status: 0,
        stdout: `${ng.LOADED}\n`,
      });
      expect(workers(m.pid)).toEqual(before);
      // Written after the workers started (what a stopped run leaves): reloaded, the old workers gone.
      const later = Date.now() / 1000 + 5;
      utimesSync(conf, later, later);
      const r = run(ng.reloadUnlessLoaded(m.pidFile, conf, reload, 50));
      expect([r.status, r.stdout.replace(/^waited-ms \d+\n/, '')]).toEqual([0, `${m.pid}\n`]);
      expect(workers(m.pid).some((p) => before.includes(p))).toBe(false);
    } finally {
      m.stop();
    }
  });

  it('exits notRunning for a dead master', () => {
    const dead = join(dir, 'dead.pid');
    writeFileSync(dead, '999999999\n');
    expect(run(ng.reloadUnlessLoaded(dead, conf, 'true', 3)).status).toBe(ng.RELOAD_EXIT.notRunning);
  });
});
