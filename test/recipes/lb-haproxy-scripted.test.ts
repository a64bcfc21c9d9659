// The HAProxy drain loop, the last-server guard and one script per change, on a scripted LB host (the lab tests
// run them on real ones).
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { setHaproxyServer } from '../../lib/recipes/haproxy.js';
import { task } from '../../lib/task/task.js';
import { runTask } from '../../lib/testing/index.js';
import { has, stat, HAPROXY, haproxyHost, drain } from './lb-hosts.js';

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
    // The guard's read (with the conf), then two polls: the first in the commit script, with the drain.
    expect(t.commands.filter(has('show stat'))).toHaveLength(3);
    expect(t.commands.filter(has('show stat')).map((c) => c.command.startsWith('sh -c '))).toEqual([
      false,
      true,
      false,
    ]);
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
    // The commit script went out with the guard's read (`show stat` with the conf) and was sent nothing.
    expect(t.commands.map((c) => [c.command.startsWith('sh -c '), c.stdin])).toEqual([
      [false, ''],
      [true, ''],
    ]);
    expect(t.commands[0]!.command).not.toContain('set server');
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
    // No session left at the first poll: maint in the same script, two commands in all.
    expect(t.commands).toHaveLength(2);
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
    expect(t.commands).toHaveLength(2);
    const script = t.commands[1]!;
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
    expect(t.commands).toHaveLength(2);
  });
});
