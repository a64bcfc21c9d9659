// Drains on every LB of a host at once (nginx and HAProxy, scripted), as a rolling deploy does them.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { BATCH_MARK } from '../../lib/commands/haproxy-socket.js';
import { EXIT, STARTED } from '../../lib/files/commit-script.js';
import { setLbBackend } from '../../lib/recipes/lb.js';
import { rolling } from '../../lib/rolling/rolling.js';
import type { TaskContext } from '../../lib/task/context.js';
import type { FabEvent } from '../../lib/report/events.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';
import { has, nginxHost, nginxSettings, stat, HAPROXY, haproxyHost, drain } from './lb-hosts.js';

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

  it('sends both LBs their read and their commit script before either answers', async () => {
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
    // lb1: the root read and the commit script; lb2: `show stat` with the conf, and its commit script.
    expect(
      lbEvents
        .slice(0, firstEnd)
        .map((e) => e.host)
        .sort(),
    ).toEqual(['lb1', 'lb1', 'lb2', 'lb2']);
    expect(lbEvents.filter((e) => e.type === 'command.start')).toHaveLength(4); // nothing else after them
  });

  it('one LB failing fails the drain: the host stays drained, the other LB keeps its change, nothing undrains', async () => {
    const lb2 = new ScriptedTransport('lb2')
      .on((c) => has('show stat')(c) && has('base64 -w0')(c), {
        stdout: `${idle}${BATCH_MARK}\n${Buffer.from(HAPROXY).toString('base64')}`,
      })
      .once((c) => c.command.startsWith('sh -c '), {
        stdout: `${STARTED}\n`,
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
