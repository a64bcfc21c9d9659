import { describe, expect, it } from 'vitest';
import { CommandError } from '../../lib/errors.js';
import { arg } from '../../lib/model/args.js';
import { task } from '../../lib/task/task.js';
import { cd, run, sudo, withEnv } from '../../lib/task/dsl.js';
import { ScriptedTransport, runTask, unwrapSudo } from '../../lib/testing/index.js';
import { sudoWrap } from '../../lib/run/scope.js';
import { raw, secret, sh } from '../../lib/commands/quote.js';

const marks = { prompt: '[fab-sudo-ab] password: ', start: 'fab-start-ab' };

describe('unwrapSudo', () => {
  it.each([
    ['systemctl reload nginx', {}],
    ["echo 'it'\\''s' > /tmp/x", {}],
    ['id -u', { user: 'postgres' }],
  ])('finds %j inside the sudo wrapper', (cmd, opts) => {
    const u = unwrapSudo(sudoWrap(raw(cmd), opts, marks).text);
    expect(u).toEqual({ command: cmd, sudo: true, startMark: marks.start, ...opts });
  });
  it('leaves a plain command alone', () => {
    expect(unwrapSudo('uptime')).toEqual({ command: 'uptime', sudo: false });
  });
});

const deployish = task({ args: { version: arg.string() } }, async (_ctx, { version }) => {
  const who = (await run('whoami')).stdout.trim();
  await cd('/srv/app', () => withEnv({ V: version }, () => run('./install')));
  await sudo(`systemctl restart app@${version}`);
  return who;
});

describe('runTask on scripted hosts', () => {
  it('runs the task as fab would: scopes applied, sudo unwrapped, values and output per host', async () => {
    const web1 = new ScriptedTransport('web1')
      .on('whoami', { stdout: 'deploy\n' })
      .on(/install$/, { stdout: 'ok\n' })
      .once('systemctl restart app@1.2');
    const web2 = new ScriptedTransport('web2')
      .on('whoami', { stdout: 'ops\n' })
      .on(/install$/)
      .once('systemctl restart app@1.2');
    const r = await runTask(deployish, { hosts: { web1, web2 }, args: { version: '1.2' } });
    expect(r.exitCode).toBe(0);
    expect(r.value('web1')).toBe('deploy');
    expect(r.value('web2')).toBe('ops');
    web1.verify();
    web2.verify();
    expect(web1.commands.map((c) => [c.command, c.sudo])).toEqual([
      ['whoami', false],
      ['cd /srv/app && export V=1.2 && ./install', false],
      ['systemctl restart app@1.2', true],
    ]);
    expect(r.output('web1')).toContain('stdout: ok');
  });

  it('fails the host with the command, exit code and stderr, and stops (serial) before the next host', async () => {
    const web1 = new ScriptedTransport()
      .on('whoami', { stdout: 'deploy\n' })
      .on(/install$/, { code: 3, stderr: 'disk full\n' });
    const web2 = new ScriptedTransport();
    const r = await runTask(deployish, { hosts: { web1, web2 }, args: { version: '2' } });
    expect(r.exitCode).toBe(1);
    const err = r.error('web1');
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({ host: 'web1', code: 3 });
    expect(err!.message).toContain('disk full');
    expect(web2.commands).toEqual([]);
    expect(r.outcomes.find((o) => o.host === 'web2')?.status).toBe('not run');
  });

  it('reports a command nobody scripted, so a changed recipe cannot pass silently', async () => {
    const web1 = new ScriptedTransport('web1').on('whoami', { stdout: 'x\n' });
    const r = await runTask(deployish, { hosts: { web1 }, args: { version: '3' } });
    expect(r.exitCode).toBe(1);
    expect(() => web1.verify()).toThrow(/no answer scripted for: cd \/srv\/app && export V=3 && \.\/install/);
  });

  it('runs nothing under --dry-run', async () => {
    const web1 = new ScriptedTransport('web1');
    const r = await runTask(deployish, { hosts: { web1 }, args: { version: '4' }, dryRun: true });
    expect(r.exitCode).toBe(0);
    expect(web1.commands).toEqual([]);
    expect(r.events.filter((e) => e.type === 'command.start').length).toBe(3);
  });
});

describe('scripted hosts and secret()', () => {
  it('show the command with the value in place and the stdin the task gave, not the secret lines', async () => {
    const t = task({}, async () => {
      await sudo(sh`mysql -p${secret("pw 'x")} -e ${'select 1'}`, { user: 'db' }).stdin('data\n');
      await run(sh`tool ${secret('a')} ${secret('b')}`);
    });
    const web1 = new ScriptedTransport('web1').on(/mysql/).on(/tool/);
    const r = await runTask(t, { hosts: { web1 } });
    expect(r.exitCode).toBe(0);
    web1.verify();
    expect(web1.commands.map((c) => [c.command, c.stdin, c.user])).toEqual([
      [`mysql -p'pw '\\''x' -e 'select 1'`, 'data\n', 'db'],
      ['tool a b', '', undefined],
    ]);
    // What the transport got: only variable names, the values on stdin.
    expect(web1.commands.map((c) => c.executed).join('\n')).not.toMatch(/pw |tool a/);
  });
});
