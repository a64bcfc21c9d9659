import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { REPO, fab } from '../helpers/fab.js';
import { applyConfig, envLayer, parseConfig } from '../../lib/config/config.js';
import { defaultOptions } from '../../lib/config/options.js';

const PROJECT = `${REPO}test/fixtures/configured`;
const projectFile = join(PROJECT, '.fabts.json');
const xdg = mkdtempSync(join(tmpdir(), 'fab-xdg-'));
const user = (doc: object) => {
  mkdirSync(join(xdg, 'fabts'), { recursive: true });
  writeFileSync(join(xdg, 'fabts', 'config.json'), JSON.stringify(doc));
};
const project = (doc: object | string) =>
  writeFileSync(projectFile, typeof doc === 'string' ? doc : JSON.stringify(doc));
const run = (args: string[], env: Record<string, string> = {}) =>
  fab(['here', 'show', ...args], { cwd: PROJECT, env: { XDG_CONFIG_HOME: xdg, ...env } });

afterEach(() => {
  rmSync(projectFile, { force: true });
  rmSync(join(xdg, 'fabts'), { recursive: true, force: true });
});

describe('config files and FAB_* variables', () => {
  it('precedence: command line > environment > project > user > defaults', async () => {
    expect((await run([])).code).toBe(1); // default: a failing command aborts
    user({ warnOnly: true, settings: { greeting: 'user', fromSet: 'config' } });
    const u = await run([]);
    expect(u.code).toBe(0);
    expect(u.stdout).toContain('after: greeting=user fromSet=set'); // the host set's own setting wins
    project({ 'warn-only': false, settings: { greeting: 'project' } });
    expect((await run([])).code).toBe(1);
    const e = await run([], { FAB_WARN_ONLY: '1' });
    expect(e.code).toBe(0);
    expect(e.stdout).toContain('after: greeting=project');
    expect((await run(['--no-warn-only'], { FAB_WARN_ONLY: '1' })).code).toBe(1);
    const s = await run(['--set', 'greeting=cli'], { FAB_WARN_ONLY: 'yes' });
    expect(s.stdout).toContain('after: greeting=cli');
  });

  it('a typo or a wrong type: exit 2 naming the file, the key and the fix', async () => {
    project({ pool_sise: 4 });
    const t = await run([]);
    expect(t.code).toBe(2);
    expect(t.stderr).toContain(`config ${projectFile}: unknown key "pool_sise"`);
    expect(t.stderr).toMatch(/fix: .*poolSize/);
    project({ poolSize: '4' });
    const w = await run([]);
    expect(w.code).toBe(2);
    expect(w.stderr).toContain(`config ${projectFile}: key "poolSize": expected a non-negative number, got "4"`);
    project('{ "user": ');
    expect((await run([])).stderr).toContain('not valid JSON');
    rmSync(projectFile);
    const env = await run([], { FAB_POOL_SIZE: 'many' });
    expect(env.code).toBe(2);
    expect(env.stderr).toContain('FAB_POOL_SIZE=many: expected a non-negative number');
  });
});

describe('config layers (pure)', () => {
  it('maps FAB_* names to options and lists to arrays; FAB_SUDO_PASSWORD stays the password', () => {
    const l = envLayer({
      FAB_USER: 'deploy',
      FAB_POOL_SIZE: '5',
      FAB_HIDE: 'running,stdout',
      FAB_KNOWN_HOSTS: '/k',
      FAB_SSH_CONFIG: '/c',
      FAB_SUDO_PASSWORD: 'pw',
      FAB_PARALLEL: 'true',
    });
    expect(l.options).toEqual({
      user: 'deploy',
      poolSize: 5,
      hide: ['running', 'stdout'],
      knownHosts: '/k',
      sshConfig: '/c',
      parallel: true,
    });
  });
  it('options the command line set are kept; the rest come from the highest layer', () => {
    const cli = { ...defaultOptions(), user: 'cli' };
    const out = applyConfig(cli, new Set(['user']), [
      parseConfig('u.json', '{"user":"u","poolSize":2}'),
      parseConfig('p.json', '{"poolSize":3}'),
    ]);
    expect(out.options.user).toBe('cli');
    expect(out.options.poolSize).toBe(3);
    expect(() => parseConfig('p.json', '{"list": true}')).toThrow(/"list" cannot be set in a config file/);
  });
});
