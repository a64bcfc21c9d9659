import { describe, expect, it } from 'vitest';
import { raw, secret, sh } from '../../lib/commands/quote.js';
import { CommandError, CommandTimeoutError, SudoError, UsageError } from '../../lib/errors.js';
import { runCommand } from '../../lib/run/runner.js';
import { ROOT_SCOPE, applyScope, scopeCd, sudoWrap } from '../../lib/run/scope.js';
import { LocalTransport } from '../../lib/transport/local.js';
import type { ExecOptions, RemoteProcess, Transport } from '../../lib/transport/types.js';
import { testConfig } from '../helpers/runtime.js';

/**
 * A transport that plays sudo: prompts (split over several chunks, as a network may deliver it),
 * checks the password written to stdin, then prints the start marker and runs.
 */
function fakeSudo(
  password: string | null,
  eager = false,
  marks = { prompt: '[fab-sudo-x1] password: ', start: 'fab-start-x1' },
): Transport & { stdinSeen: string[]; ptys: boolean[] } {
  const stdinSeen: string[] = [];
  const ptys: boolean[] = [];
  return {
    kind: 'fake',
    stdinSeen,
    ptys,
    async exec(_cmd: string, opts: ExecOptions): Promise<RemoteProcess> {
      // Under a pty the terminal merges stderr into stdout, as sshd does.
      ptys.push(opts.pty === true);
      const o = opts.pty ? { ...opts, onStderr: opts.onStdout } : opts;
      let finish!: (r: { code: number | null; signal: string | null }) => void;
      const done = new Promise<{ code: number | null; signal: string | null }>((r) => (finish = r));
      let tries = 0;
      let started = false;
      const prompt = () => {
        const half = Math.floor(marks.prompt.length / 2);
        o.onStderr(Buffer.from(marks.prompt.slice(0, half)));
        o.onStderr(Buffer.from(marks.prompt.slice(half)));
      };
      const start = () => {
        started = true;
        o.onStderr(Buffer.from(`${marks.start}\nwarn`));
        o.onStderr(Buffer.from('ing\n'));
      };
      // `eager`: the prompt arrives in the same network read as the channel confirmation, before exec() returns.
      if (eager && password !== null) prompt();
      else setImmediate(() => (password === null ? start() : prompt()));
      return {
        write: (d) => {
          const s = d.toString();
          stdinSeen.push(s);
          if (started) return;
          if (s === `${password}\n`) start();
          else if (++tries < 3) prompt();
        },
        end: () => setImmediate(() => (o.onStdout(Buffer.from('root\n')), finish({ code: 0, signal: null }))),
        kill: () => finish({ code: null, signal: 'TERM' }),
        done,
      };
    },
    put: async () => 0,
    get: async () => 0,
    readFile: async () => Buffer.alloc(0),
    writeFile: async () => {},
    stat: async () => undefined,
    close: async () => {},
  };
}

const req = (cmd: string, sudo = false) => ({
  host: 'h1',
  requested: raw(cmd),
  executed: raw(cmd),
  sudo,
  local: false,
});

describe('runCommand', () => {
  it('answers the sudo prompt once, hides markers, and never emits the password', async () => {
    const { cfg, events } = testConfig({ password: 's3cr3t!' });
    const t = fakeSudo('s3cr3t!');
    const res = await runCommand(t, req('whoami', true), { warnOnly: false, stdin: 'data' }, cfg);
    expect(res.stdout).toBe('root\n');
    expect(res.stderr).toBe('warning\n');
    expect(t.stdinSeen).toEqual(['s3cr3t!\n', 'data']);
    expect(JSON.stringify(events)).not.toContain('s3cr3t!');
    expect(JSON.stringify(events)).not.toContain('fab-start-x1');
  });

  it('with a pty, finds the prompt and start marker on stdout and keeps the password out of it', async () => {
    for (const [opts, cfgPty] of [
      [{ pty: true }, false],
      [{}, true],
    ] as const) {
      const { cfg, events } = testConfig({ password: 's3cr3t!' });
      const t = fakeSudo('s3cr3t!');
      const res = await runCommand(t, req('whoami', true), { warnOnly: false, ...opts }, { ...cfg, pty: cfgPty });
      expect(t.ptys).toEqual([true]);
      expect(t.stdinSeen).toEqual(['s3cr3t!\n']);
      expect(res.stdout).toBe('warning\nroot\n');
      expect(res.stderr).toBe('');
      const shown = JSON.stringify(events);
      for (const hidden of ['s3cr3t!', 'fab-start-x1', 'fab-sudo-x1']) expect(shown).not.toContain(hidden);
    }
  });

  it('asks for no pty unless told, and run(..., { pty: false }) overrides --pty', async () => {
    const { cfg } = testConfig({ password: 's3cr3t!' });
    const t = fakeSudo('s3cr3t!');
    await runCommand(t, req('whoami', true), { warnOnly: false }, cfg);
    await runCommand(t, req('whoami', true), { warnOnly: false, pty: false }, { ...cfg, pty: true });
    expect(t.ptys).toEqual([false, false]);
  });

  it('answers a prompt that arrives before the command handle does', async () => {
    const { cfg } = testConfig({ password: 'early-pw' });
    const t = fakeSudo('early-pw', true);
    const res = await runCommand(t, req('whoami', true), { warnOnly: false }, cfg);
    expect(res.stdout).toBe('root\n');
    expect(t.stdinSeen).toEqual(['early-pw\n']);
  });

  it('does not send a password sudo did not ask for', async () => {
    const { cfg } = testConfig({ password: 'pw1' });
    const t = fakeSudo(null);
    await runCommand(t, req('whoami', true), { warnOnly: false }, cfg);
    expect(t.stdinSeen).toEqual([]);
  });

  it('fails fast, without hanging, when a password is needed and none is known', async () => {
    const { cfg } = testConfig();
    await expect(runCommand(fakeSudo('pw'), req('whoami', true), { warnOnly: false }, cfg)).rejects.toThrow(
      /password is required and none was given/,
    );
  });

  it('fails on a rejected password without retrying it and without showing it', async () => {
    const { cfg } = testConfig({ password: 'wrong-pw' });
    const err = await runCommand(fakeSudo('right'), req('whoami', true), { warnOnly: false }, cfg).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SudoError);
    expect(String((err as Error).message)).toMatch(/rejected/);
    expect(String((err as Error).message)).not.toContain('wrong-pw');
  });
});

describe('runCommand on the local transport', () => {
  const local = new LocalTransport();

  it('rejects on a non-zero exit with host, requested, executed, code and stderr tail', async () => {
    const { cfg } = testConfig();
    const err = (await runCommand(
      local,
      { ...req('x'), executed: raw('echo oops >&2; exit 3') },
      { warnOnly: false },
      cfg,
    ).catch((e: unknown) => e)) as CommandError;
    expect(err).toBeInstanceOf(CommandError);
    expect(err).toMatchObject({
      host: 'h1',
      requested: 'x',
      executed: 'echo oops >&2; exit 3',
      code: 3,
      stderrTail: 'oops',
    });
  });

  it('returns the failure instead with nothrow or warnOnly', async () => {
    const { cfg, events } = testConfig();
    expect((await runCommand(local, req('exit 4'), { warnOnly: false, nothrow: true }, cfg)).code).toBe(4);
    expect((await runCommand(local, req('exit 5'), { warnOnly: true }, cfg)).ok).toBe(false);
    expect(events.some((e) => e.type === 'message' && e.level === 'warning')).toBe(true);
  });

  it('emits whole lines per stream and keeps stdout bytes exact', async () => {
    const { cfg, events } = testConfig();
    const res = await runCommand(local, req(`printf 'a\\nb'; printf 'e1\\n' >&2`), { warnOnly: false }, cfg);
    expect(res.stdout).toBe('a\nb');
    expect(
      events.filter((e) => e.type === 'output').map((e) => e.type === 'output' && `${e.stream}:${e.line}`),
    ).toEqual(expect.arrayContaining(['stdout:a', 'stdout:b', 'stderr:e1']));
  });

  it('kills a command that runs past its timeout', async () => {
    const { cfg } = testConfig();
    await expect(runCommand(local, req('sleep 5'), { warnOnly: false, timeout: 200 }, cfg)).rejects.toBeInstanceOf(
      CommandTimeoutError,
    );
  });

  it('does not run anything under --dry-run unless it is a probe', async () => {
    const { cfg } = testConfig({ dryRun: true });
    const r = await runCommand(local, req('echo changed'), { warnOnly: false }, cfg);
    expect(r.skipped).toBe(true);
    expect((await runCommand(local, req('echo read'), { warnOnly: false, probe: true }, cfg)).stdout).toBe('read\n');
  });
});

describe('scope and sudo wrapping', () => {
  it('runs cd, env and prefixes inside the sudo shell (the Fabric cd+sudo bug)', async () => {
    const scoped = applyScope(scopeCd(scopeCd(ROOT_SCOPE, '/tmp'), "it's dir"), sh`ls ${'a b'}`);
    expect(scoped.text).toBe(`cd '/tmp/it'\\''s dir' && ls 'a b'`);
    const wrapped = sudoWrap(scoped, { user: 'www-data' }, { prompt: 'P: ', start: 'S1' });
    expect(wrapped.text.startsWith(`sudo -S -p 'P: ' -H -u www-data -- sh -c `)).toBe(true);
    expect(wrapped.text).not.toMatch(/^sudo [^']*cd /);
    // The scoped command is one argument of sh -c: a real shell reads it back whole.
    const inner = wrapped.text.slice(wrapped.text.indexOf('sh -c ') + 6);
    const { cfg } = testConfig();
    const res = await runCommand(
      new LocalTransport(),
      { ...req('x'), executed: raw(`printf '%s' ${inner}`) },
      { warnOnly: false },
      cfg,
    );
    expect(res.stdout).toBe(`printf '%s\\n' S1 >&2 && ${scoped.text}`);
  });
});

describe('secret() arguments', () => {
  const cmd = (value: string) => sh`printf '[%s]' ${secret(value)}; cat; echo; echo ${secret(value)}`;

  it('reach the command on its stdin, ahead of the given stdin; events show *** only', async () => {
    const { cfg, events } = testConfig();
    const c = cmd(`it's $HOME`);
    const r = await runCommand(
      new LocalTransport(),
      { host: 'h1', requested: c, executed: c, sudo: false, local: true },
      { warnOnly: false, stdin: 'in put' },
      cfg,
    );
    expect(r.stdout).toBe(`[it's $HOME]in put\nit's $HOME\n`);
    expect(r.command).toBe(c.display);
    expect(JSON.stringify(events)).not.toContain("it's $HOME");
    expect(events.filter((e) => e.type === 'output').map((e) => e.type === 'output' && e.line)).toEqual([
      '[***]in put',
      '***',
    ]);
  });

  it('refuses a value with a newline before anything starts', async () => {
    const { cfg } = testConfig();
    const started: string[] = [];
    // exec records the command if the check lets it through.
    const t = { kind: 'fake', exec: async (c: string) => (started.push(c), Promise.reject(new Error('ran'))) };
    const c = cmd('a\nb');
    const run = runCommand(
      t as unknown as Transport,
      { host: 'h1', requested: c, executed: c, sudo: false, local: false },
      { warnOnly: false },
      cfg,
    );
    await expect(run).rejects.toThrow(UsageError);
    await expect(run).rejects.toThrow(/contains a newline[\s\S]*fix: pass a multi-line value/);
    expect(started).toEqual([]);
  });
});
