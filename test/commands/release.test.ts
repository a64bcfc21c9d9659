import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readlinkSync, rmSync, mkdirSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as rel from '../../lib/commands/release.js';
import type { ShellCommand } from '../../lib/commands/quote.js';

const l = rel.releaseLayout('/srv/my app');
const SHA = 'ab12'.repeat(16);

// Input -> the exact command line sent to the host.
const GOLDEN: [string, ShellCommand, string][] = [
  ['ensureDirs', rel.ensureDirs(l), `mkdir -p -- '/srv/my app/releases' '/srv/my app/shared'`],
  ['makeDir', rel.makeDir('/srv/app/releases/.build-1.2-0a0b'), 'mkdir -- /srv/app/releases/.build-1.2-0a0b'],
  [
    'removeDirs',
    rel.removeDirs(['/srv/app/releases/.upload-1', '/srv/my app/.old']),
    `rm -rf -- /srv/app/releases/.upload-1 '/srv/my app/.old'`,
  ],
  [
    'readMarker',
    rel.readMarker(l.release('1.2.0')),
    `cat -- '/srv/my app/releases/1.2.0/.fab-release' 2>/dev/null || { [ -e '/srv/my app/releases/1.2.0' ] && echo incomplete; }`,
  ],
  [
    'writeMarker',
    rel.writeMarker('/srv/app/releases/.build-1', SHA),
    `printf '%s\\n' ${SHA} > /srv/app/releases/.build-1/.fab-release`,
  ],
  [
    'replaceWithEmpty',
    rel.replaceWithEmpty('/srv/app/releases/1.0', '/srv/app/releases/.old-1.0-ff'),
    '{ [ ! -e /srv/app/releases/1.0 ] || mv -T -- /srv/app/releases/1.0 /srv/app/releases/.old-1.0-ff; } && mkdir -- /srv/app/releases/1.0',
  ],
  [
    'moveIntoPlace',
    rel.moveIntoPlace('/r/.build-1', '/r/1', '/r/.old-1'),
    '{ [ ! -e /r/1 ] || mv -T -- /r/1 /r/.old-1; } && mv -T -- /r/.build-1 /r/1',
  ],
  [
    'linkShared',
    rel.linkShared(l, '/srv/my app/releases/.build-2', 'log'),
    `mkdir -p -- '/srv/my app/shared/log' && rm -rf -- '/srv/my app/releases/.build-2/log'` +
      ` && mkdir -p -- "$(dirname -- '/srv/my app/releases/.build-2/log')" && ln -s -- '/srv/my app/shared/log' '/srv/my app/releases/.build-2/log'`,
  ],
  ['readLink', rel.readLink('/srv/app/current'), 'readlink -- /srv/app/current || true'],
  [
    'switchLink current',
    rel.switchLink(l, 'current', 'releases/2.0'),
    `cd -- '/srv/my app' && ln -sfn -- releases/2.0 .current.tmp && mv -Tf -- .current.tmp current`,
  ],
  [
    'switchLink previous',
    rel.switchLink(rel.releaseLayout('/srv/app'), 'previous', 'releases/1.0'),
    'cd -- /srv/app && ln -sfn -- releases/1.0 .previous.tmp && mv -Tf -- .previous.tmp previous',
  ],
  ['listNewestFirst', rel.listNewestFirst(l), `ls -1t -- '/srv/my app/releases'`],
  ['listOldestFirst', rel.listOldestFirst(l), `cd -- '/srv/my app/releases' 2>/dev/null && ls -1tr -- . || true`],
  [
    'removeReleases',
    rel.removeReleases(l, ['0.9', `it's`]),
    `cd -- '/srv/my app/releases' && rm -rf -- 0.9 'it'\\''s'`,
  ],
  ['isComplete', rel.isComplete(l, '1.2.0'), `test -f '/srv/my app/releases/1.2.0/.fab-release'`],
];

describe('release command builders', () => {
  it.each(GOLDEN)('%s', (_name, cmd, expected) => {
    expect(cmd.text).toBe(expected);
    expect(cmd.display).toBe(expected); // nothing secret in a release command
  });

  it('lays out an app root and names versions from link targets', () => {
    expect(l.release('1.0')).toBe('/srv/my app/releases/1.0');
    expect(l.linkTarget('1.0')).toBe('releases/1.0');
    expect(rel.versionOf(l, l.linkTarget('2.0-rc1'))).toBe('2.0-rc1');
    expect(rel.versionOf(l, '/srv/my app/releases/1.0')).toBe('1.0'); // an absolute link (the lab's /srv/app)
    expect(rel.versionOf(l, '/srv/other/releases/1.0')).toBe('/srv/other/releases/1.0');
    expect(rel.versionOf(l, '')).toBe('');
  });
});

describe('releasesToPrune (keep-N)', () => {
  const T: [string[], string[], number, string[]][] = [
    // newest first, protected (current, previous), keep -> deleted
    [['5', '4', '3', '2', '1'], ['5', '4'], 3, ['2', '1']],
    [['5', '4', '3', '2', '1'], ['5', '4'], 5, []],
    [['5', '4', '3', '2', '1'], ['5'], 1, ['4', '3', '2', '1']],
    [['5', '4', '3', '2', '1'], ['1', '5'], 2, ['4', '3', '2']], // rolled back to an old one: both kept
    [['5', '4', '3'], ['5', '4'], 1, ['3']], // keep below the protected count never deletes those
    [['3', '2', '1'], [''], 2, ['2', '1']], // no previous link yet: '' protects nothing real
  ];
  it.each(T)('%j protecting %j keeping %i deletes %j', (newest, protect, keep, expected) => {
    expect(rel.releasesToPrune(newest, new Set(protect), keep)).toEqual(expected);
  });
});

// The commands do what they say, run by a real /bin/sh on a scratch root whose path needs quoting.
describe('release commands in a real shell', () => {
  const base = mkdtempSync(join(tmpdir(), 'fabts release '));
  const root = join(base, `app's root`);
  const lay = rel.releaseLayout(root);
  const run = (cmd: ShellCommand) => execFileSync('/bin/sh', ['-c', cmd.text], { encoding: 'utf8' });
  const status = (cmd: ShellCommand) => spawnSync('/bin/sh', ['-c', cmd.text], { encoding: 'utf8' });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('marks, switches current and previous atomically, lists and prunes', () => {
    run(rel.ensureDirs(lay));
    for (const v of ['1.0', '2.0']) {
      mkdirSync(lay.release(v));
      expect(run(rel.readMarker(lay.release(v))).trim()).toBe(rel.INCOMPLETE);
      run(rel.writeMarker(lay.release(v), `sha-${v}`));
      expect(run(rel.readMarker(lay.release(v)))).toBe(`sha-${v}\n`);
    }
    expect(status(rel.readMarker(lay.release('3.0')))).toMatchObject({ stdout: '', status: 1 }); // absent
    run(rel.switchLink(lay, 'current', lay.linkTarget('1.0')));
    run(rel.switchLink(lay, 'previous', lay.linkTarget('1.0')));
    run(rel.switchLink(lay, 'current', lay.linkTarget('2.0')));
    expect(readlinkSync(join(root, 'current'))).toBe('releases/2.0');
    expect(run(rel.readLink(join(root, 'previous'))).trim()).toBe('releases/1.0');
    expect(run(rel.readLink(join(root, 'nope')))).toBe('');
    expect(existsSync(join(root, '.current.tmp'))).toBe(false);
    expect(status(rel.isComplete(lay, '2.0')).status).toBe(0);
    expect(status(rel.isComplete(lay, '3.0')).status).toBe(1);
    run(rel.removeReleases(lay, ['1.0']));
    expect(run(rel.listOldestFirst(lay)).trim().split('\n')).toEqual(['2.0']);
  });

  it('links a shared path into a release, replacing what the artifact had there', () => {
    const build = join(lay.releases, '.build-x');
    mkdirSync(join(build, 'var', 'log'), { recursive: true });
    writeFileSync(join(build, 'var', 'log', 'old.log'), 'x');
    run(rel.linkShared(lay, build, 'var/log'));
    expect(readlinkSync(join(build, 'var', 'log'))).toBe(join(lay.shared, 'var/log'));
    expect(existsSync(join(lay.shared, 'var', 'log'))).toBe(true);
  });
});
