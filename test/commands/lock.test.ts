import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as lock from '../../lib/commands/lock.js';
import type { ShellCommand } from '../../lib/commands/quote.js';

const DIR = '/srv/app/.fab-deploy.lock';
const INFO = lock.holderInfo('20261203T070000-abc123', 'ops', 'laptop', '2026-12-03T07:00:00.000Z');

// Input -> the exact command line sent to the host.
const GOLDEN: [string, ShellCommand, string][] = [
  ['readHolder', lock.readHolder(DIR), `cat -- ${DIR}/holder 2>/dev/null`],
  ['removeLock', lock.removeLock('/srv/my app/.lock'), `rm -rf -- '/srv/my app/.lock'`],
  [
    'takeLock',
    lock.takeLock(DIR, INFO),
    `mkdir -p -- /srv/app && t=$(mktemp -d -- ${DIR}.XXXXXX) && chmod 755 "$t" && printf '%s\\n' ` +
      `'run=20261203T070000-abc123 user=ops@laptop time=2026-12-03T07:00:00.000Z' > "$t/holder" && ` +
      `if e=$(mv -T -- "$t" ${DIR} 2>&1); then :; else rm -rf -- "$t"; ` +
      `if [ -d ${DIR} ]; then cat -- ${DIR}/holder 2>/dev/null || echo unknown; exit 75; fi; ` +
      `printf '%s\\n' "$e" >&2; exit 1; fi`,
  ],
  [
    'releaseLock',
    lock.releaseLock(DIR, '20261203T070000-abc123'),
    `grep -q -- 'run=20261203T070000-abc123 ' ${DIR}/holder 2>/dev/null && t=$(mktemp -u -- ${DIR}.XXXXXX) && ` +
      `mv -T -- ${DIR} "$t" && rm -rf -- "$t"; true`,
  ],
];

describe('lock command builders', () => {
  it.each(GOLDEN)('%s', (_name, cmd, expected) => {
    expect(cmd.text).toBe(expected);
    expect(cmd.display).toBe(expected);
  });

  it('recognises its own run in a holder line, not a run whose id it prefixes', () => {
    expect(lock.heldByRun(`${INFO}\n`, '20261203T070000-abc123')).toBe(true);
    expect(lock.heldByRun(`${INFO}\n`, '20261203T070000-abc')).toBe(false);
  });
});

describe('lock commands in a real shell', () => {
  const base = mkdtempSync(join(tmpdir(), 'fabts lock '));
  const dir = join(base, `deploy's.lock`);
  const sh = (cmd: ShellCommand) => spawnSync('/bin/sh', ['-c', cmd.text], { encoding: 'utf8' });
  afterAll(() => rmSync(base, { recursive: true, force: true }));

  it('takes a free lock once; a second taker gets the holder and LOCK_HELD; only the holder releases', () => {
    expect(sh(lock.takeLock(dir, lock.holderInfo('run-a', 'u', 'h', 't'))).status).toBe(0);
    const second = sh(lock.takeLock(dir, lock.holderInfo('run-b', 'u', 'h', 't')));
    expect(second.status).toBe(lock.LOCK_HELD);
    expect(second.stdout).toBe('run=run-a user=u@h time=t\n');
    expect(sh(lock.readHolder(dir)).stdout).toBe('run=run-a user=u@h time=t\n');
    expect(sh(lock.releaseLock(dir, 'run-b')).status).toBe(0);
    expect(existsSync(dir)).toBe(true); // not run-b's to release
    sh(lock.releaseLock(dir, 'run-a'));
    expect(existsSync(dir)).toBe(false);
    expect(sh(lock.readHolder(dir)).status).not.toBe(0);
    expect(readdirSync(base)).toEqual([]); // no temp directory left beside it
  });

  // What a taker or a releaser stopped half-way (a second Ctrl-C) leaves must not lock out the next run, nor its
  // own resume: the holder file is in place before the lock is, and the lock is gone before its files are.
  it('takes over an empty lock directory (a removal stopped half-way) and ignores the temp dir of a stopped taker', () => {
    mkdirSync(dir);
    mkdirSync(`${dir}.Ab12Cd`); // a taker stopped before its rename
    expect(sh(lock.takeLock(dir, lock.holderInfo('run-c', 'u', 'h', 't'))).status).toBe(0);
    expect(sh(lock.readHolder(dir)).stdout).toBe('run=run-c user=u@h time=t\n');
    sh(lock.releaseLock(dir, 'run-c'));
    expect(existsSync(dir)).toBe(false);
    rmSync(`${dir}.Ab12Cd`, { recursive: true });
  });

  it('says what went wrong when the lock cannot be made for another reason than a holder', () => {
    const file = join(base, 'a file');
    writeFileSync(file, '');
    const r = sh(lock.takeLock(join(file, 'x.lock'), lock.holderInfo('run-d', 'u', 'h', 't')));
    expect(r.status).not.toBe(lock.LOCK_HELD);
    expect(r.status).not.toBe(0);
    expect(r.stderr).toMatch(/Not a directory|File exists/);
    rmSync(file);
  });
});
