import { mkdtempSync, realpathSync, existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { $, cd, lcd, withEnv, warnOnly, secret, UsageError } from '../../lib/index.js';
import { als } from '../../lib/run/als.js';
import { TaskContext, type HostRuntime } from '../../lib/task/context.js';
import { ROOT_SCOPE } from '../../lib/run/scope.js';
import { Settings } from '../../lib/model/settings.js';
import type { FabEvent } from '../../lib/report/events.js';
import { testConfig } from '../helpers/runtime.js';

const zxLoaded = () => Object.keys(createRequire(import.meta.url).cache).some((f) => f.includes('/node_modules/zx/'));
// Checked before any `$` runs in this file: importing fabts must not load zx (start-up time).
const loadedAtImport = zxLoaded();

function inTask<T>(
  fn: () => Promise<T>,
  over: Parameters<typeof testConfig>[0] = {},
): Promise<{ value: T; events: FabEvent[] }> {
  const { cfg, events } = testConfig(over);
  const host = { name: 'web1', address: '127.0.0.9', roles: [] } as unknown as HostRuntime['host'];
  const rt = { host, hosts: [host], settings: new Settings({}), task: 't', cfg } as unknown as HostRuntime;
  const ctx = new TaskContext(rt);
  return als.run({ ctx, scope: ROOT_SCOPE }, async () => ({ value: await fn(), events }));
}

const of = <K extends FabEvent['type']>(events: FabEvent[], type: K) =>
  events.filter((e): e is Extract<FabEvent, { type: K }> => e.type === type);
const lines = (events: FabEvent[], stream: 'stdout' | 'stderr') =>
  of(events, 'output')
    .filter((e) => e.stream === stream)
    .map((e) => e.line);

describe('$ (zx) bound to the task', () => {
  it('is not loaded by importing fabts, only by the first $', async () => {
    expect(loadedAtImport).toBe(false);
    await inTask(() => $`true`);
    expect(zxLoaded()).toBe(true);
  });

  it('reports the command as a local command.start, its output as whole lines, and its end', async () => {
    const { value, events } = await inTask(() => $`printf 'hello\nwor'; printf 'ld\n'; echo oops >&2`);
    expect(value.stdout).toBe('hello\nworld\n');
    const start = of(events, 'command.start')[0]!;
    expect(start).toMatchObject({ host: 'web1', local: true, sudo: false });
    expect(start.requested).toContain('echo oops >&2');
    expect(lines(events, 'stdout')).toEqual(['hello', 'world']);
    expect(lines(events, 'stderr')).toEqual(['oops']);
    const end = of(events, 'command.end')[0]!;
    expect(end).toMatchObject({ host: 'web1', id: start.id, code: 0 });
    expect(of(events, 'output').every((e) => e.id === start.id && e.host === 'web1')).toBe(true);
  });

  it('gives FAB_HOST, FAB_HOST_ADDRESS and withEnv variables', async () => {
    const { value } = await inTask(() =>
      withEnv({ GREETING: 'hi there' }, () => $`echo "$FAB_HOST $FAB_HOST_ADDRESS $GREETING"`),
    );
    expect(value.stdout).toBe('web1 127.0.0.9 hi there\n');
  });

  it('runs in the lcd directory; nested relative lcd joins; the process cwd otherwise', async () => {
    const dir = realpathSync(mkdtempSync(join(tmpdir(), 'fab-zx-')));
    const { value } = await inTask(async () => {
      const here = (await $`pwd`).stdout.trim();
      const top = await lcd(dir, async () => (await $`pwd`).stdout.trim());
      const nested = await lcd(dir, () =>
        lcd('sub/..', async () => (await $`mkdir -p sub && cd sub && pwd`).stdout.trim()),
      );
      return { here, top, nested };
    });
    expect(value).toEqual({ here: process.cwd(), top: dir, nested: join(dir, 'sub') });
  });

  it('a remote cd does not move $', async () => {
    const { value } = await inTask(() => cd('/srv/app', () => $`pwd`));
    expect(value.stdout.trim()).toBe(process.cwd());
  });

  it("keeps zx's API: pipe, lines, nothrow", async () => {
    const { value, events } = await inTask(async () => ({
      piped: (await $`printf 'b\na\n'`.pipe($`sort`)).stdout,
      lines: await $`printf 'x\ny\n'`.lines(),
      code: (await $`exit 9`.nothrow()).exitCode,
    }));
    expect(value).toEqual({ piped: 'a\nb\n', lines: ['x', 'y'], code: 9 });
    expect(of(events, 'command.start').map((e) => e.requested)).toEqual([
      `printf 'b\na\n'`,
      'sort',
      `printf 'x\ny\n'`,
      'exit 9',
    ]);
  });

  it('-T (the command timeout) stops it', async () => {
    const started = Date.now();
    await expect(inTask(() => $`sleep 30`, { commandTimeoutMs: 300 })).rejects.toMatchObject({ signal: 'SIGTERM' });
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it('quotes interpolated values as single words (zx quoting)', async () => {
    const nasty = `a b'c $(touch /tmp/fab-zx-pwned) "d"`;
    const { value } = await inTask(() => $`printf '%s|' ${nasty} ${['x y', 'z']}`);
    expect(value.stdout).toBe(`${nasty}|x y|z|`);
    expect(existsSync('/tmp/fab-zx-pwned')).toBe(false);
  });

  it('quiet() and $({ quiet: true }) keep the output in the result and out of the events', async () => {
    const { value, events } = await inTask(async () => [await $`echo one`.quiet(), await $({ quiet: true })`echo two`]);
    expect(value.map((o) => o.stdout)).toEqual(['one\n', 'two\n']);
    expect(of(events, 'output')).toEqual([]);
    expect(of(events, 'command.start')).toHaveLength(2);
  });

  it('passes a secret() on its stdin, never on the command line, and masks it in events', async () => {
    const { value, events } = await inTask(
      () => $`tr '\\0' ' ' </proc/$$/cmdline; echo; echo ${secret('hunter2-pw')} ${['a', secret('b-secret')]}`,
    );
    const [cmdline, echoed] = value.stdout.split('\n');
    expect(echoed).toBe('hunter2-pw a b-secret');
    expect(cmdline).toContain('echo "$FAB_SECRET_');
    expect(cmdline).not.toMatch(/hunter2-pw|b-secret/);
    expect(JSON.stringify(events)).not.toMatch(/hunter2-pw|b-secret/);
    expect(lines(events, 'stdout')[1]).toBe('*** a ***');
  });

  it("keeps a secret() out of the command's environment; the command's own input follows it intact", async () => {
    const { value } = await inTask(() =>
      $({
        input: 'own line\n$HOME \\\n',
      })`env | grep -c hunter2-pw || true; echo ${secret('hunter2-pw')}; cat`.nothrow(),
    );
    expect(value.stdout).toBe('0\nhunter2-pw\nown line\n$HOME \\\n');
  });

  it('refuses a secret() it cannot send on stdin: a newline in it, or stdin not a pipe (UsageError)', async () => {
    await expect(inTask(async () => $`echo ${secret('a\nb')}`)).rejects.toThrow(/contains a newline/);
    await expect(inTask(async () => $({ stdio: 'inherit' })`echo ${secret('x')}`)).rejects.toThrow(UsageError);
    const inherited = $({ stdio: 'inherit', input: 'in\n' });
    await expect(inTask(async () => inherited`echo ${secret('x')}`)).rejects.toThrow(/stdin, which here is "inherit"/);
  });

  it("throws zx's ProcessOutput on failure; under warnOnly it warns and goes on", async () => {
    await expect(inTask(() => $`echo bad >&2; exit 3`)).rejects.toMatchObject({ exitCode: 3 });
    const { value, events } = await inTask(() => warnOnly(() => $`exit 4`));
    expect(value.exitCode).toBe(4);
    expect(of(events, 'message').map((m) => m.text)).toEqual([expect.stringContaining('command failed (code 4)')]);
    const again = await inTask(() => $`exit 5`, { warnOnly: true });
    expect(again.value.exitCode).toBe(5);
  });

  it('--dry-run shows the command as would-run and runs nothing', async () => {
    const marker = join(realpathSync(mkdtempSync(join(tmpdir(), 'fab-zx-'))), 'made');
    const { value, events } = await inTask(() => $`touch ${marker}`, { dryRun: true });
    expect(existsSync(marker)).toBe(false);
    expect(value.exitCode).toBe(0);
    expect(of(events, 'command.start')).toEqual([
      expect.objectContaining({ dryRun: true, local: true, requested: expect.stringContaining(marker) }),
    ]);
  });

  it('stops the command when the run is aborted (Ctrl-C)', async () => {
    const ac = new AbortController();
    const started = Date.now();
    setTimeout(() => ac.abort(), 200);
    await expect(inTask(() => $`sleep 30`, { signal: ac.signal })).rejects.toBeDefined();
    expect(Date.now() - started).toBeLessThan(10_000);
  });

  it("ctx.$ is bound to its own host, also from inside another host's call chain", async () => {
    const { cfg, events } = testConfig();
    const make = (name: string) => {
      const host = { name, address: `127.0.0.${name.length}`, roles: [] } as unknown as HostRuntime['host'];
      return new TaskContext({
        host,
        hosts: [host],
        settings: new Settings({}),
        task: 't',
        cfg,
      } as unknown as HostRuntime);
    };
    const [a, b] = [make('web1'), make('db10')];
    const out = await als.run({ ctx: a, scope: ROOT_SCOPE }, () =>
      a.withEnv({ X: 'x' }, async () => [
        (await a.$`echo "$FAB_HOST $X"`).stdout,
        (await b.$`echo "$FAB_HOST $FAB_HOST_ADDRESS \${X-}"`).stdout, // a's withEnv is not b's
      ]),
    );
    expect(out).toEqual(['web1 x\n', 'db10 127.0.0.4 \n']);
    expect(of(events, 'command.start').map((e) => e.host)).toEqual(['web1', 'db10']);
  });

  it('outside a task is a UsageError', () => {
    expect(() => $`true`).toThrow(UsageError);
    expect(() => lcd('/tmp', () => 1)).toThrow(UsageError);
  });
});
