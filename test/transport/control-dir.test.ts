import { chmodSync, mkdirSync, mkdtempSync, statSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { persistDuration } from '../../lib/cli/option-checks.js';
import { UsageError } from '../../lib/errors.js';
import { controlDirPath, ensureControlDir, socketPath } from '../../lib/transport/control-dir.js';

const tmp = () => mkdtempSync(join(tmpdir(), 'fabts-cdir-'));
const uid = process.getuid!();

describe('control socket directory', () => {
  it('is $XDG_RUNTIME_DIR/fabts, else under the cache', () => {
    expect(controlDirPath({ XDG_RUNTIME_DIR: '/run/user/1000', HOME: '/h' })).toBe('/run/user/1000/fabts');
    expect(controlDirPath({ HOME: '/h' })).toBe('/h/.cache/fabts/ssh');
    expect(controlDirPath({ HOME: '/h', XDG_CACHE_HOME: '/c' })).toBe('/c/fabts/ssh');
  });

  it('is created 0700 when missing', () => {
    const dir = join(tmp(), 'cache', 'fabts', 'ssh');
    expect(ensureControlDir(dir)).toBe(dir);
    expect(statSync(dir).mode & 0o777).toBe(0o700);
  });

  it.each<[string, (d: string) => number | void, RegExp]>([
    [
      'others can enter it',
      (d) => chmodSync(d, 0o755),
      /has mode 755: others could use its SSH connections[\s\S]*chmod 700/,
    ],
    ['group can enter it', (d) => chmodSync(d, 0o710), /has mode 710/],
    // As another user sees a directory we own (no root needed to test it).
    ['another user owns it', () => uid + 4242, new RegExp(`belongs to uid ${uid}, not to you \\(uid ${uid + 4242}\\)`)],
  ])('is refused when %s, naming the fix', (_why, spoil, message) => {
    const dir = join(tmp(), 'fabts');
    mkdirSync(dir, { mode: 0o700 });
    const asUid = spoil(dir) ?? uid;
    const before = statSync(dir);
    let err: unknown;
    try {
      ensureControlDir(dir, asUid);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toMatch(message);
    // Left as found: never repaired behind the user's back.
    expect([statSync(dir).mode, statSync(dir).uid]).toEqual([before.mode, before.uid]);
  });

  it('refuses a symlink in its place', () => {
    const base = tmp();
    mkdirSync(join(base, 'real'), { mode: 0o700 });
    symlinkSync(join(base, 'real'), join(base, 'fabts'));
    expect(() => ensureControlDir(join(base, 'fabts'))).toThrow(/is not a directory/);
  });

  it('names persistent and per-run sockets apart, and refuses a path too long for a socket', () => {
    expect(socketPath('/d', 'ab'.repeat(16), true)).toBe(`/d/p-${'ab'.repeat(16)}`);
    expect(socketPath('/d', 'ab'.repeat(16), false, 77)).toBe('/d/r-77-abababababababab');
    expect(() => socketPath(`/${'x'.repeat(80)}`, 'ab'.repeat(16), true)).toThrow(/too long for a Unix socket/);
  });
});

describe('--persist DURATION', () => {
  it.each<[string | undefined, number]>([
    [undefined, 0],
    ['0', 0],
    ['off', 0],
    ['30s', 30_000],
    ['10m', 600_000],
    ['1h', 3_600_000],
    ['90', 90_000],
    ['1.5m', 90_000],
  ])('%s -> %i ms', (v, ms) => expect(persistDuration(v)).toBe(ms));
  it.each(['ten', '10d', '-5s', '0.5s'])('refuses %s', (v) => expect(() => persistDuration(v)).toThrow(UsageError));
});
