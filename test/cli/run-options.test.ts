import { describe, expect, it } from 'vitest';
import { runPlanOptions, type RunSetup } from '../../lib/cli/run-options.js';
import { defaultOptions, type FabOptions } from '../../lib/config/options.js';
import { UsageError } from '../../lib/errors.js';
import { EventBus } from '../../lib/report/events.js';
import { Interrupts } from '../../lib/run/interrupt.js';
import { Prompts } from '../../lib/run/prompts.js';
import { Credentials } from '../../lib/transport/credentials.js';

const setup = (): RunSetup => ({
  events: new EventBus(),
  prompts: new Prompts({ yes: false, answers: {}, secret: () => undefined }),
  credentials: new Credentials({ passwordAuth: false, addSecret: () => undefined }),
  settingsOverrides: { release: '7' },
  root: '/srv/project',
  argv: ['prod', 'deploy'],
  env: {},
  interrupts: new Interrupts(),
});
const options = (o: Partial<FabOptions>): FabOptions => ({ ...defaultOptions(), ...o });

describe('runPlanOptions', () => {
  it('gives runPlan the defaults: embedded ssh2, one attempt, 15 s keepalive, no timeouts', () => {
    const s = setup();
    const o = runPlanOptions(options({}), s);
    expect(o.ssh).toEqual({
      identity: [],
      acceptNew: false,
      attempts: 1,
      keepaliveMs: 15_000,
      forwardAgent: false,
      credentials: s.credentials,
    });
    expect(o.cfg).toEqual({
      run: { root: '/srv/project', argv: ['prod', 'deploy'], breakLock: false, interrupts: s.interrupts },
      warnOnly: false,
      dryRun: false,
      prompts: s.prompts,
    });
    expect([o.openssh, o.agent, o.shard, o.poolSize, o.sshConfigPath]).toEqual([
      undefined,
      undefined,
      undefined,
      undefined,
      undefined,
    ]);
    expect([o.events, o.signal, o.settingsOverrides]).toEqual([s.events, s.interrupts.signal, { release: '7' }]);
  });

  it('carries the options over, in runPlan units, and the sudo password as a secret', () => {
    const o = runPlanOptions(
      options({ user: 'ops', port: 2222, timeout: 5, commandTimeout: 2, shard: '2/3', pty: true, poolSize: 4 }),
      { ...setup(), password: 'pw', resume: 'r1' },
    );
    expect(o.ssh).toMatchObject({ user: 'ops', port: 2222, connectTimeoutMs: 5000 });
    expect(o.cfg).toMatchObject({ commandTimeoutMs: 2000, pty: true, run: { resume: 'r1' } });
    expect(o.cfg.sudoPassword?.reveal()).toBe('pw');
    expect(String(o.cfg.sudoPassword)).toBe('***');
    expect(o.shard).toEqual({ k: 2, n: 3 });
    expect(o.poolSize).toBe(4);
  });

  it('keeps connections in the agent with --persist, over the system ssh with --ssh-client openssh', () => {
    expect(runPlanOptions(options({ persist: '10m' }), setup()).agent).toEqual({
      persistMs: 600_000,
      acceptNew: false,
    });
    expect(runPlanOptions(options({ persist: '10m', shell: true }), setup()).agent).toBeUndefined();
    expect(runPlanOptions(options({ sshClient: 'openssh', sshConfig: '/c' }), setup()).openssh).toEqual({
      acceptNew: false,
      sshConfigPath: '/c',
    });
    expect(() => runPlanOptions(options({ sshClient: 'openssh', password: true }), setup())).toThrow(
      new UsageError(
        'password logins (-p, -I, FAB_PASSWORD) work only with the embedded ssh2 client, not with --ssh-client openssh',
        'log in with a key (ssh-agent for a passphrase), or leave out --ssh-client openssh',
      ),
    );
  });
});
