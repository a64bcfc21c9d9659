import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
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
    `mkdir -p -- /srv/app && if mkdir -- ${DIR} 2>/dev/null; then printf '%s\\n' ` +
      `'run=20261203T070000-abc123 user=ops@laptop time=2026-12-03T07:00:00.000Z' > ${DIR}/holder; ` +
      `elif [ -d ${DIR} ]; then cat -- ${DIR}/holder 2>/dev/null || echo unknown; exit 75; else mkdir -- ${DIR}; fi`,
  ],
  [
    'releaseLock',
    lock.releaseLock(DIR, '20261203T070000-abc123'),
    `grep -q -- 'run=20261203T070000-abc123 ' ${DIR}/holder 2>/dev/null && rm -rf -- ${DIR}; true`,
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
  });
});
