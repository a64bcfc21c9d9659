// Every LB of a host at once, and the commit script that reads first when its read fails, on scripted LB hosts.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMITTED, EXIT, READ_DONE, READ_START, STARTED } from '../../lib/files/commit-script.js';
import { setLbBackend } from '../../lib/recipes/lb.js';
import { rolling } from '../../lib/rolling/rolling.js';
import type { TaskContext } from '../../lib/task/context.js';
import type { FabEvent } from '../../lib/report/events.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';
import {
  NGINX,
  has,
  readFirst,
  readsFirst,
  nginxHost,
  disable,
  nginxSettings,
  stat,
  HAPROXY,
  haproxyHost,
  drain,
} from './lb-hosts.js';

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
