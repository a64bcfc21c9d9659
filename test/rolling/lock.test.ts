import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { LOCK_HELD, takeLockCommand } from '../../lib/rolling/lock.js';

const sh = (text: string) => {
  try {
    return {
      code: 0,
      out: execFileSync('/bin/sh', ['-c', text], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }),
    };
  } catch (e) {
    const err = e as { status: number; stdout: string; stderr: string };
    return { code: err.status, out: err.stdout + err.stderr };
  }
};

describe('takeLockCommand', () => {
  it('builds one quoted command (golden)', () => {
    expect(takeLockCommand('/srv/my app/.fab-deploy.lock', "run=x user=a'b").text).toBe(
      "mkdir -p -- '/srv/my app' && t=$(mktemp -d -- '/srv/my app/.fab-deploy.lock.XXXXXX') && chmod 755 \"$t\" && " +
        "printf '%s\\n' 'run=x user=a'\\''b' > \"$t/holder\" && if e=$(mv -T -- \"$t\" '/srv/my app/.fab-deploy.lock' 2>&1); " +
        'then :; else rm -rf -- "$t"; if [ -d \'/srv/my app/.fab-deploy.lock\' ]; then ' +
        "cat -- '/srv/my app/.fab-deploy.lock/holder' 2>/dev/null || echo unknown; exit 75; fi; printf '%s\\n' \"$e\" >&2; exit 1; fi",
    );
  });

  it('takes the lock where the app folder does not exist yet, then finds it held, and reports other failures as such', () => {
    const base = mkdtempSync(join(tmpdir(), 'fab-lock-'));
    const lock = join(base, 'new app/.fab-deploy.lock');
    expect(sh(takeLockCommand(lock, 'run=1 user=u time=t').text)).toEqual({ code: 0, out: '' });
    expect(readFileSync(join(lock, 'holder'), 'utf8')).toBe('run=1 user=u time=t\n');
    expect(sh(takeLockCommand(lock, 'run=2 user=u time=t').text)).toEqual({
      code: LOCK_HELD,
      out: 'run=1 user=u time=t\n',
    });
    // A file where the lock's folder should be: an error, not "held".
    writeFileSync(join(base, 'file'), '');
    const blocked = sh(takeLockCommand(join(base, 'file/.fab-deploy.lock'), 'run=3').text);
    expect(blocked.code).not.toBe(0);
    expect(blocked.code).not.toBe(LOCK_HELD);
    expect(blocked.out).toMatch(/mkdir: .*file/);
    expect(readdirSync(join(base, 'new app'))).toEqual(['.fab-deploy.lock']); // no temp dir left by the refusal
  });
});
