// The stripe recipe on a scripted host: the probes' answers decide what runs as root (the guest tests run it for real).
import { describe, expect, it } from 'vitest';
import { StorageError } from '../../lib/errors.js';
import { stripe } from '../../lib/recipes/storage.js';
import type { StripeOptions } from '../../lib/recipes/storage-plan.js';
import { STRIPE_DEFAULTS } from '../../lib/recipes/storage-plan.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';

const opts: StripeOptions = { ...STRIPE_DEFAULTS, devices: ['/dev/vdb', '/dev/vdc', '/dev/vdd'], mount: '/data' };
const run = task({}, (ctx) => stripe(ctx, opts));

/** The first probe's answer: no tool missing, no PV, no array; each device as `devices` says. */
const firstAnswer = (devices: Record<string, string[]>) =>
  [
    '@@tools',
    '@@pvs',
    '@@mdstat',
    'Personalities :',
    'unused devices: <none>',
    '@@devices',
    ...Object.entries(devices).flatMap(([d, blkid]) => [
      `@dev ${d}`,
      '@exists',
      ...blkid,
      `@lsblk ${d.slice(5)} disk `,
    ]),
    '',
  ].join('\n');
const blank = { '/dev/vdb': [], '/dev/vdc': [], '/dev/vdd': [] };
const isFirst = (c: SeenCommand) => c.command.startsWith('echo @@tools');
const isStack = (c: SeenCommand) => c.command.includes('findmnt');
const isSteps = (c: SeenCommand) => c.command.startsWith('echo @step 0');

describe('stripe on a scripted host', () => {
  it('runs the probes as root, then every step of the plan in one root script', async () => {
    const host = new ScriptedTransport('store1')
      .once(isFirst, { stdout: firstAnswer(blank) })
      .once(isStack, { stdout: 'fs=\nmounted=\n' })
      .once(isSteps, { stdout: '@step 0\n@step 1\n' });
    const r = await runTask(run, { hosts: { store1: host } });
    expect(r.exitCode).toBe(0);
    host.verify();
    expect(host.commands.every((c) => c.sudo)).toBe(true);
    const steps = host.commands.find(isSteps)!.command;
    expect(steps).toContain(
      'mdadm --create /dev/md0 --run --level=0 --chunk=256 --raid-devices=3 /dev/vdb /dev/vdc /dev/vdd',
    );
    expect(steps.indexOf('blockdev --setra 65536 /dev/md0')).toBeLessThan(steps.indexOf('mkfs.xfs -q /dev/vgm0/lvm0'));
    expect(r.value('store1')).toMatchObject({ changed: true, md: '/dev/md0' });
  });

  it('refuses a device that holds a filesystem, naming it, and runs nothing that changes the host', async () => {
    const host = new ScriptedTransport('store1').on(isFirst, {
      stdout: firstAnswer({ ...blank, '/dev/vdc': ['TYPE=xfs', 'UUID=1234'] }),
    });
    const r = await runTask(run, { hosts: { store1: host } });
    expect(r.exitCode).toBe(1);
    expect(r.error('store1')).toBeInstanceOf(StorageError);
    expect(r.error('store1')!.message).toMatch(/\/dev\/vdc.*xfs/);
    expect(host.commands.map((c) => c.command).filter((c) => !c.startsWith('echo @@tools'))).toEqual([]);
  });

  it('names the step that failed and the steps done before it', async () => {
    const host = new ScriptedTransport('store1')
      .once(isFirst, { stdout: firstAnswer(blank) })
      .once(isStack, { stdout: 'fs=\nmounted=\n' })
      .once(isSteps, { stdout: '@step 0\n@step 1\n@step 2\n', stderr: 'pvcreate: device busy\n', code: 5 });
    const r = await runTask(run, { hosts: { store1: host } });
    expect(r.exitCode).toBe(1);
    expect(r.error('store1')!.message).toMatch(/step 3 of \d+ failed .*exit 5: pvcreate: device busy/);
    expect(r.error('store1')!.message).toMatch(/done before it: /);
  });

  it('under --dry-run runs the read-only probes and shows the plan without running it', async () => {
    const host = new ScriptedTransport('store1')
      .once(isFirst, { stdout: firstAnswer(blank) })
      .once(isStack, { stdout: 'fs=\nmounted=\n' });
    const r = await runTask(run, { hosts: { store1: host }, dryRun: true });
    expect(r.exitCode).toBe(0);
    host.verify();
    expect(host.commands).toHaveLength(2);
    const would = r.events
      .filter((e) => e.type === 'command.start' && e.dryRun)
      .map((e) => (e.type === 'command.start' ? e.requested : ''));
    expect(would[0]).toMatch(/^mdadm --create \/dev\/md0/);
  });
});
