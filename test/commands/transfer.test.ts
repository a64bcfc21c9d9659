import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  catForGet,
  catForPut,
  hasHostToken,
  localPathFor,
  planPut,
  sudoFetchScript,
  sudoInstallScript,
  type LocalTree,
} from '../../lib/commands/transfer.js';

const file = (rel: string, mode = 0o644, size = 3) => ({ abs: `/l/${rel}`, rel, mode, size });
const noMode = () => undefined;

describe('planPut (scp rules)', () => {
  const one: LocalTree = { sources: [{ name: 'a.conf', isDir: false }], files: [file('a.conf')], dirs: [] };
  const dir: LocalTree = {
    sources: [{ name: 'site', isDir: true }],
    files: [file('site/index.html'), file('site/css/x.css', 0o600)],
    dirs: ['site', 'site/css'],
  };
  const glob: LocalTree = {
    sources: [
      { name: 'a.tgz', isDir: false },
      { name: 'b.tgz', isDir: false },
    ],
    files: [file('a.tgz'), file('b.tgz')],
    dirs: [],
  };

  it.each([
    [
      'one file: to the path, or inside it if the host has a folder there',
      one,
      '/srv/x',
      false,
      { files: [{ local: '/l/a.conf', remote: '/srv/x', size: 3, intoDir: 'a.conf' }], dirs: [] },
    ],
    [
      'a folder onto a new path: its content becomes that path',
      dir,
      '/srv/www',
      false,
      {
        files: [
          { local: '/l/site/index.html', remote: '/srv/www/index.html', size: 3 },
          { local: '/l/site/css/x.css', remote: '/srv/www/css/x.css', size: 3 },
        ],
        dirs: ['/srv/www', '/srv/www/css'],
      },
    ],
    [
      'a folder onto an existing folder: inside it, under its own name',
      dir,
      '/srv',
      true,
      {
        files: [
          { local: '/l/site/index.html', remote: '/srv/site/index.html', size: 3 },
          { local: '/l/site/css/x.css', remote: '/srv/site/css/x.css', size: 3 },
        ],
        dirs: ['/srv/site', '/srv/site/css'],
      },
    ],
    [
      'a glob: every match inside the folder, made if missing',
      glob,
      '/srv/dist',
      false,
      {
        files: [
          { local: '/l/a.tgz', remote: '/srv/dist/a.tgz', size: 3 },
          { local: '/l/b.tgz', remote: '/srv/dist/b.tgz', size: 3 },
        ],
        dirs: ['/srv/dist'],
      },
    ],
  ] as const)('%s', (_name, tree, remote, isDir, want) => {
    expect(planPut(tree, remote, isDir, noMode)).toEqual(want);
  });

  it('gives each file the mode the caller picks (mirrorLocalMode)', () => {
    expect(planPut(dir, '/srv/www', false, (f) => f.mode).files.map((f) => f.mode)).toEqual([0o644, 0o600]);
  });
});

describe('local path templates', () => {
  it.each([
    ['{host}/{basename}', 'web1', '/var/log/syslog', 'web1/syslog'],
    ['%(host)s/%(path)s', 'web1', '/var/log/syslog', 'web1/var/log/syslog'],
    ['logs/{dirname}/{host}.log', 'db2', '/var/log/mysql/error.log', 'logs/var/log/mysql/db2.log'],
    ['x/{unknown}/{host}', 'h', '/a', 'x/{unknown}/h'],
  ])('%s on %s for %s -> %s', (tpl, host, remote, want) => {
    expect(localPathFor(tpl, host, remote)).toBe(want);
  });

  it('tells whether a template names the host', () => {
    expect([
      hasHostToken('a/{host}'),
      hasHostToken('%(host)s.log'),
      hasHostToken('a/{path}'),
      hasHostToken('host'),
    ]).toEqual([true, true, false, false]);
  });
});

describe('sudoInstallScript', () => {
  it('builds the exact script: trap, one fab_put per file, quoted paths', () => {
    const plan = { files: [{ local: '/l/a', remote: "/etc/it's.conf", size: 1, mode: 0o640, intoDir: 'a' }], dirs: [] };
    const cmd = sudoInstallScript(plan, '/tmp/.fab-put.X', ['f0'], 'root:adm');
    expect(cmd.text.split('\n').slice(0, 3)).toEqual(['set -e', 't=', 'fab_tmp=/tmp/.fab-put.X']);
    expect(cmd.text.split('\n').at(-1)).toBe(`fab_put /tmp/.fab-put.X/f0 '/etc/it'\\''s.conf' 0640 root:adm a`);
    expect(cmd.display).toBe(`(install /etc/it's.conf as root from /tmp/.fab-put.X)`);
  });

  // The script runs as is under /bin/sh here (as the current user): the shell logic, not just its text.
  it("installs atomically beside the destination, keeps an existing file's mode, makes folders, cleans up", () => {
    const base = mkdtempSync(join(tmpdir(), 'fab-install-'));
    const tmp = join(base, 'upload');
    mkdirSync(tmp, { mode: 0o700 });
    writeFileSync(join(tmp, 'f0'), 'new old\n', { mode: 0o644 });
    writeFileSync(join(tmp, 'f1'), 'fresh\n', { mode: 0o600 });
    writeFileSync(join(tmp, 'f2'), 'into\n');
    const existing = join(base, 'dest dir', "it's.conf");
    mkdirSync(join(base, 'dest dir'));
    writeFileSync(existing, 'old\n', { mode: 0o640 });
    const plan = {
      files: [
        { local: 'x', remote: existing, size: 8 },
        { local: 'y', remote: join(base, 'new/sub/fresh'), size: 6 },
        { local: 'z', remote: join(base, 'dest dir'), size: 5, mode: 0o604, intoDir: 'named' },
      ],
      dirs: [join(base, 'new/sub')],
    };
    execFileSync('/bin/sh', ['-c', sudoInstallScript(plan, tmp, ['f0', 'f1', 'f2']).text]);
    expect(readFileSync(existing, 'utf8')).toBe('new old\n');
    expect(statSync(existing).mode & 0o777).toBe(0o640);
    expect(statSync(join(base, 'new/sub/fresh')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(base, 'dest dir/named'), 'utf8')).toBe('into\n');
    expect(statSync(join(base, 'dest dir/named')).mode & 0o777).toBe(0o604);
    expect(existsSync(tmp)).toBe(false);
    expect(execFileSync('find', [base, '-name', '.fab-put.*']).toString()).toBe('');
  });

  it('refuses to replace a folder with a file, and leaves nothing half-made', () => {
    const base = mkdtempSync(join(tmpdir(), 'fab-install-'));
    const tmp = join(base, 'upload');
    mkdirSync(tmp);
    writeFileSync(join(tmp, 'f0'), 'x');
    mkdirSync(join(base, 'd'));
    const plan = { files: [{ local: 'x', remote: join(base, 'd'), size: 1 }], dirs: [] };
    expect(() => execFileSync('/bin/sh', ['-c', sudoInstallScript(plan, tmp, ['f0']).text], { stdio: 'pipe' })).toThrow(
      /is a directory/,
    );
    expect(execFileSync('find', [base]).toString().trim().split('\n').sort()).toEqual([base, join(base, 'd')].sort());
  });
});

describe('sudoFetchScript', () => {
  it('copies a regular file for the login user ($SUDO_UID) with mode 600, and refuses anything else', () => {
    const base = mkdtempSync(join(tmpdir(), 'fab-fetch-'));
    writeFileSync(join(base, "sec'ret"), 'k=v\n', { mode: 0o400 });
    const env = { ...process.env, SUDO_UID: String(process.getuid!()) };
    execFileSync('/bin/sh', ['-c', sudoFetchScript(join(base, "sec'ret"), join(base, 'out')).text], { env });
    expect(readFileSync(join(base, 'out'), 'utf8')).toBe('k=v\n');
    expect(statSync(join(base, 'out')).mode & 0o777).toBe(0o600);
    expect(() =>
      execFileSync('/bin/sh', ['-c', sudoFetchScript(base, join(base, 'out2')).text], { env, stdio: 'pipe' }),
    ).toThrow(/not a regular file/);
  });
});

describe('catForGet', () => {
  it.each([
    [
      '/srv/app.tgz',
      `f=/srv/app.tgz; if [ -f "$f" ] && [ -r "$f" ]; then s=$(stat -L -c %s -- "$f" 2>/dev/null || wc -c < "$f") && ` +
        `echo "fab-get $s" && exec cat -- "$f"; fi; echo 'fab-get -'`,
    ],
    [
      "/srv/it's $(x)",
      `f='/srv/it'\\''s $(x)'; if [ -f "$f" ] && [ -r "$f" ]; then s=$(stat -L -c %s -- "$f" 2>/dev/null || wc -c < "$f") && ` +
        `echo "fab-get $s" && exec cat -- "$f"; fi; echo 'fab-get -'`,
    ],
  ])('%s -> the exact command', (path, text) => {
    expect(catForGet(path).text).toBe(text);
    expect(catForGet(path).display).toBe(`(cat ${path} for download)`);
  });

  it('prints the size line then the bytes of a regular file, and only `fab-get -` for anything else', () => {
    const base = mkdtempSync(join(tmpdir(), 'fab-cat-'));
    const bytes = Buffer.from([0, 10, 255, 13, 10, 36]);
    writeFileSync(join(base, "-n 'x'"), bytes);
    mkdirSync(join(base, 'dir'));
    const out = (p: string) => execFileSync('/bin/sh', ['-c', catForGet(p).text]);
    expect(out(join(base, "-n 'x'")).equals(Buffer.concat([Buffer.from('fab-get 6\n'), bytes]))).toBe(true);
    expect(out(join(base, 'dir')).toString()).toBe('fab-get -\n');
    expect(out(join(base, 'missing')).toString()).toBe('fab-get -\n');
  });
});

describe('catForPut', () => {
  const tail = (size: number, chmod: string) =>
    `[ ! -d "$d" ] && t=$(mktemp "$(dirname -- "$d")/.fab-put.XXXXXX" 2>/dev/null) || { echo 'fab-put -'; exit 0; }; ` +
    `trap 'rm -f -- "$t"' EXIT; trap 'exit 129' HUP INT TERM PIPE; echo 'fab-put ok'; cat > "$t" || exit 1; ` +
    `n=$(wc -c < "$t"); [ "$n" -eq ${size} ] || { echo "arrived with $n bytes, ${size} expected" >&2; exit 14; }; ` +
    `${chmod} || exit 1; mv -f -- "$t" "$d" && t= && printf '%s' "$d"`;
  const keepOrUmask =
    'if [ -e "$d" ]; then chmod --reference="$d" -- "$t"; else chmod "$(printf %o $((0666 & ~0$(umask))))" -- "$t"; fi';

  it.each([
    ['/srv/app.tgz', 1048576, undefined, undefined, `d=/srv/app.tgz; ${tail(1048576, keepOrUmask)}`],
    [
      "/srv/it's $(x)/",
      5,
      0o640,
      'a b',
      `d='/srv/it'\\''s $(x)/'; [ -d "$d" ] && d='/srv/it'\\''s $(x)/a b'; ${tail(5, 'chmod 0640 -- "$t"')}`,
    ],
    ['/srv/-n', 0, 0o4755, undefined, `d=/srv/-n; ${tail(0, 'chmod 4755 -- "$t"')}`],
  ])('%s (%d bytes, mode %o, into %s) -> the exact command', (path, size, mode, into, text) => {
    expect(catForPut(path, size, mode, into).text).toBe(text);
    expect(catForPut(path, size, mode, into).display).toBe(`(cat to ${path} for upload)`);
  });

  describe('run by sh', () => {
    const base = mkdtempSync(join(tmpdir(), 'fab-catput-'));
    const bytes = Buffer.from([0, 10, 255, 13, 10, 36]);
    const run = (path: string, input: Buffer, size = input.length, mode?: number, into?: string) => {
      try {
        const out = execFileSync('/bin/sh', ['-c', catForPut(path, size, mode, into).text], { input, stdio: 'pipe' });
        return { code: 0, out: out.toString(), err: '' };
      } catch (e) {
        const x = e as { status: number; stdout: Buffer; stderr: Buffer };
        return { code: x.status, out: x.stdout.toString(), err: x.stderr.toString() };
      }
    };

    it('writes stdin to the target through a temp file, with the mode asked, and prints the path written', () => {
      const target = join(base, "-n 'x'");
      expect(run(target, bytes, bytes.length, 0o640)).toEqual({ code: 0, out: `fab-put ok\n${target}`, err: '' });
      expect(readFileSync(target).equals(bytes)).toBe(true);
      expect(statSync(target).mode & 0o7777).toBe(0o640);
      // No mode asked: the existing file's mode stays, as SFTP's open of an existing file keeps it.
      expect(run(target, Buffer.from('new')).code).toBe(0);
      expect(readFileSync(target, 'utf8')).toBe('new');
      expect(statSync(target).mode & 0o7777).toBe(0o640);
      mkdirSync(join(base, 'into'));
      expect(run(join(base, 'into'), bytes, bytes.length, undefined, 'f.bin').out).toBe(
        `fab-put ok\n${join(base, 'into', 'f.bin')}`,
      );
      const umask = process.umask();
      expect(statSync(join(base, 'into', 'f.bin')).mode & 0o7777).toBe(0o666 & ~umask);
    });

    it('refuses before reading anything when it cannot make its temp file, or the target is a folder', () => {
      expect(run(join(base, 'missing', 'f'), bytes)).toEqual({ code: 0, out: 'fab-put -\n', err: '' });
      expect(run(join(base, 'into'), bytes)).toEqual({ code: 0, out: 'fab-put -\n', err: '' });
    });

    it('keeps the old target and no temp file when fewer or more bytes arrive than announced', () => {
      const target = join(base, 'keep');
      writeFileSync(target, 'old');
      expect(run(target, bytes, bytes.length + 1)).toEqual({
        code: 14,
        out: 'fab-put ok\n',
        err: `arrived with 6 bytes, 7 expected\n`,
      });
      expect(run(target, bytes, bytes.length - 1).code).toBe(14);
      expect(readFileSync(target, 'utf8')).toBe('old');
      expect(readdirSync(base).filter((f) => f.startsWith('.fab-put'))).toEqual([]);
    });
  });
});
