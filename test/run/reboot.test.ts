import { describe, expect, it } from 'vitest';
import { reboot, run } from '../../lib/task/dsl.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';

const rebootThenUptime = (opts: Parameters<typeof reboot>[0]) =>
  task({}, async () => {
    await reboot(opts);
    await run('uptime');
  });
const cmds = (t: ScriptedTransport) => t.commands.map((c) => [c.command, c.sudo]);
const messages = (events: { type: string }[]) =>
  events.flatMap((e) => (e.type === 'message' ? [(e as unknown as { text: string }).text] : [])).join('\n');

// A probe (`true`) that fails stands for a connection that no longer answers.
describe('reboot', () => {
  it('reboots as root, waits for the drop, reconnects, and the task goes on over the new connection', async () => {
    const web1 = new ScriptedTransport('web1')
      .once('reboot')
      .once('true')
      .once('true', { code: 255 })
      .on('true')
      .once('uptime');
    const r = await runTask(rebootThenUptime({ wait: 5 }), { hosts: { web1 } });
    expect(r.exitCode).toBe(0);
    expect(cmds(web1)).toEqual([
      ['reboot', true],
      ['true', false],
      ['true', false],
      ['true', false],
      ['uptime', false],
    ]);
    expect(web1.closed).toBe(true); // the old connection was closed before connecting again
    expect(messages(r.events)).toMatch(/rebooting: reboot[\s\S]*back after \d+\.\ds/);
    web1.verify();
  });

  it('runs the rebootCommand setting, or the command given', async () => {
    for (const [opts, set, want] of [
      [{}, { rebootCommand: 'shutdown -r now' }, 'shutdown -r now'],
      [{ command: 'systemctl reboot' }, {}, 'systemctl reboot'],
    ] as const) {
      const web1 = new ScriptedTransport('web1').once(want).once('true', { code: 255 }).on('true').on('uptime');
      const r = await runTask(rebootThenUptime(opts), { hosts: { web1 }, set });
      expect(r.exitCode).toBe(0);
      expect(cmds(web1)[0]).toEqual([want, true]);
    }
  });

  it('fails with RebootError when SSH does not answer again within wait, and runs nothing after', async () => {
    const web1 = new ScriptedTransport('web1').once('reboot').on('true', { code: 255 });
    const r = await runTask(rebootThenUptime({ wait: 1 }), { hosts: { web1 } });
    expect(r.exitCode).toBe(1);
    expect(r.error('web1')).toMatchObject({
      name: 'RebootError',
      message: expect.stringMatching(/SSH did not answer within 1s/),
    });
    expect(cmds(web1).some(([c]) => c === 'uptime')).toBe(false);
  });

  it('changes nothing under --dry-run', async () => {
    const web1 = new ScriptedTransport('web1').on('uptime');
    const r = await runTask(rebootThenUptime({}), { hosts: { web1 }, dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(web1.commands).toEqual([]);
    expect(messages(r.events)).toMatch(/would reboot \(reboot\)/);
  });
});
