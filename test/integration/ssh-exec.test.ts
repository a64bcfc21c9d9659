// Execution and transfers on real sshd hosts (own small lab, LAB_NETS.sshTests): a pty for sudoers with
// `requiretty`, reboot() against a host whose sshd really goes away and comes back, put/get of folders,
// globs, modes, sudo on both sides, and per-host local paths.
import { execFile, execFileSync } from 'node:child_process';
import { promisify } from 'node:util';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FIXTURES, REPO, fab } from '../helpers/fab.js';
import { runOnTty } from '../helpers/tty.js';
import { startLab, type Lab } from '../lab/lab.js';
import { LAB_NETS, testRunDir } from '../lab/repo.js';
import { labSsh } from '../lab/ssh.js';
import { waitFor } from '../lab/test-helpers.js';

const execFileP = promisify(execFile);
const DIR = testRunDir('lab-sshexec');
const REQUIRETTY = '/etc/sudoers.d/zz-fabts-requiretty';
let lab: Lab;

const fabHere = (args: string[], env: Record<string, string> = {}) =>
  fab(['-f', `${FIXTURES}/ssh.ts`, 'lab', ...args], { env: { FAB_LAB_DIR: DIR, ...env } });
/** The JSON a fixture task logged as `key=...`. */
const logged = <T>(stdout: string, key: string): T => {
  const m = new RegExp(`${key}=(.*)$`, 'm').exec(stdout);
  if (!m) throw new Error(`no ${key}= in output:\n${stdout}`);
  return JSON.parse(m[1]!) as T;
};
/** The processes of a process group: the lab's hosts share this machine's process table. */
const inGroup = (pgid: number) =>
  readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return (
          readFileSync(`/proc/${p}/stat`, 'utf8')
            .replace(/^.*\) /, '')
            .split(' ')[2] === String(pgid)
        );
      } catch {
        return false;
      }
    });
const onHost = (host: string, p: string) => join(lab.host(host).root, p);
const uid = (user: string) => Number(execFileSync('id', ['-u', user]).toString());

beforeAll(async () => {
  lab = await startLab({
    dir: DIR,
    net: LAB_NETS.sshTests,
    web: 0,
    extraHosts: [{ name: 'sx1' }, { name: 'tty1', binds: ['/etc/sudoers.d'] }],
  });
  // tty1 alone has its own /etc/sudoers.d: the lab users' sudo needs a terminal there.
  const file = onHost('tty1', REQUIRETTY);
  writeFileSync(file, 'Defaults:fabts,fabtspw requiretty\n', { mode: 0o440 });
  execFileSync('visudo', ['-cf', file]);
});

afterAll(async () => {
  await lab?.stop();
});

// The same pty behaviour on both transports: embedded ssh2 and the system's OpenSSH client (-tt).
const CLIENTS: { client: string; env: Record<string, string> }[] = [
  { client: 'ssh2', env: {} },
  { client: 'openssh', env: { FAB_SSH_CLIENT: 'openssh', XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'fab-xdg-')) } },
];

describe.each(CLIENTS)('pty ($client)', ({ env: clientEnv }) => {
  const fabOn = (args: string[], env: Record<string, string> = {}) => fabHere(args, { ...clientEnv, ...env });

  it('a sudo edit under --pty: content on stdin without a pty, or uploaded when sudoers requiretty refuses', async () => {
    for (const host of ['sx1', 'tty1']) {
      const f = onHost(host, 'srv/edit-pty.conf');
      mkdirSync(onHost(host, 'srv'), { recursive: true });
      writeFileSync(f, 'a=1\nb=2\n', { mode: 0o640 });
      execFileSync('chown', ['root:root', f]);
      const args = ['doSudoSed', '--path', '/srv/edit-pty.conf', '--from', 'a=1', '--to', 'a=3'];
      const uploads = async () =>
        (await labSsh(lab.state, host, 'ls -a /tmp | grep -c fab-edit || true')).stdout.trim();
      const before = await uploads();
      const r = await fabOn(['-H', host, '--pty', '--json', ...args]);
      expect(r.code).toBe(0);
      expect([readFileSync(f, 'utf8'), statSync(f).mode & 0o777, statSync(f).uid]).toEqual(['a=3\nb=2\n', 0o640, 0]);
      const commits = r.events.filter((e) => e.type === 'command.start' && e.requested.startsWith('(replace '));
      expect(commits).toHaveLength(host === 'tty1' ? 2 : 1); // tty1: refused without a tty, then the upload way
      expect(await uploads()).toBe(before); // the upload (tty1) is removed
    }
  });

  it('sudo fails under requiretty without a pty, and works with run(..., { pty: true }) or --pty', async () => {
    const without = await fabOn(['-H', 'tty1', 'ptySudo']);
    expect(logged<{ code: number; stderr: string }>(without.stdout, 'result')).toMatchObject({
      code: 1,
      stderr: expect.stringMatching(/must have a tty/),
    });
    for (const args of [
      ['ptySudo', '--pty'],
      ['--pty', 'ptySudo'],
    ]) {
      const r = await fabOn(['-H', 'tty1', ...args]);
      // Under a pty the command's stderr arrives merged into stdout.
      expect(logged(r.stdout, 'result')).toEqual({ code: 0, stdout: 'root\nto-stderr\n', stderr: '' });
    }
  });

  it('feeds the sudo password on its prompt under a pty and never shows it', async () => {
    const password = lab.state.sudoPassword;
    const r = await fabOn(['-H', 'tty1', '-u', 'fabtspw', '--json', 'ptySudo', '--pty'], {
      FAB_SUDO_PASSWORD: password,
    });
    const out = r.events
      .filter((e) => e.type === 'message')
      .map((e) => (e as { text: string }).text)
      .join('\n');
    expect(logged(out, 'result')).toEqual({ code: 0, stdout: 'root\nto-stderr\n', stderr: '' });
    expect(r.stdout + r.stderr).not.toContain(password);
    const lines = r.events.filter((e) => e.type === 'output').map((e) => (e as { line: string }).line);
    expect(lines.join('\n')).not.toMatch(/fab-sudo|fab-start|password/);
  });

  it('an ad-hoc command sees a terminal with --pty', async () => {
    const r = await fabOn(['-H', 'sx1', '--pty', '--', 'test -t 0 && tty']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[sx1\] out: \/dev\/pts\/\d+/);
  });

  it('no echo of stdin, no \\r, stderr merged, a `~.` line is data, the exit code, the modes of ssh2', async () => {
    const modes = 'stty -a | tr " ;" "\\n\\n" | grep -xE -- "-?(echo|onlcr|icanon|isig)" | LC_ALL=C sort';
    const cmd = `read a; read b; echo "got $a/$b"; echo err >&2; stty size; ${modes}; exit 3`;
    const r = await fabOn(['-H', 'sx1', 'ptyIo', '--cmd', cmd, '--stdin', 'x y\n~.\n']);
    expect(logged(r.stdout, 'result')).toEqual({
      code: 3,
      stdout: 'got x y/~.\nerr\n24 200\n-echo\n-onlcr\nicanon\nisig\n',
      stderr: '',
    });
  });

  it('the command text arrives intact under a pty: a 6000-byte line, Ctrl-C, Ctrl-D and CR bytes in it', async () => {
    const text = `${'x'.repeat(6000)}\x03\x04\r\x15end`;
    const r = await fabOn([
      '-H',
      'sx1',
      'ptyIo',
      '--cmd',
      `printf %s '${text}' | od -An -c | tr -s ' x*' ' ' | tail -2`,
    ]);
    const out = logged<{ code: number; stdout: string }>(r.stdout, 'result');
    expect(out.code).toBe(0);
    expect(out.stdout.replace(/\s+/g, ' ').trim()).toBe('003 004 \\r 025 e n d');
  });

  it('a timeout under a pty kills the whole process group', async () => {
    const r = await fabOn([
      '-H',
      'sx1',
      'ptyIo',
      '--cmd',
      'echo pid=$$; sleep 60 & sleep 61; wait',
      '--timeout',
      '1500',
    ]);
    expect(logged(r.stdout, 'error')).toBe('CommandTimeoutError');
    const pid = Number(/out: pid=(\d+)/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(1);
    await waitFor('the process group gone', () => inGroup(pid).length === 0);
  });

  it('Ctrl-C under a pty stops the command and its whole process group', async () => {
    let sent = false;
    const r = await fab(
      ['-f', `${FIXTURES}/ssh.ts`, 'lab', '-H', 'sx1', '--pty', '--', 'echo pid=$$; sleep 60 & sleep 61'],
      {
        env: { FAB_LAB_DIR: DIR, ...clientEnv },
        onStdout: (out, kill) => {
          if (!sent && /pid=\d+/.test(out)) {
            sent = true;
            kill('SIGINT');
          }
        },
      },
    );
    expect([sent, r.code]).toEqual([true, 130]);
    const pid = Number(/out: pid=(\d+)/.exec(r.stdout)?.[1]);
    expect(pid).toBeGreaterThan(1);
    await waitFor('the process group gone', () => inGroup(pid).length === 0);
  });
});

describe('--shell', () => {
  it("opens an interactive login shell with the terminal's size; keystrokes go to it", async () => {
    const r = await runOnTty(
      `stty rows 33 cols 111; FAB_LAB_DIR=${DIR} ${process.execPath} ${REPO}bin/fab.js lab -H sx1 --shell`,
      {
        prompt: /\$ /,
        answers: ['stty size; hostname; tty', 'exit 3'],
        timeoutMs: 30_000,
      },
    );
    expect(r.out).toMatch(/33 111\r*\nsx1\r*\n\/dev\/pts\/\d+/);
    expect(r.code).toBe(0);
  });

  it('needs exactly one host (exit 2)', async () => {
    const r = await fabHere(['-H', 'sx1,tty1', '--shell']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--shell needs exactly one host, 2 selected \(sx1, tty1\)[\s\S]*fix: pick one with -H/);
  });
});

describe('put and get', () => {
  const local = mkdtempSync(join(tmpdir(), 'fab-sshexec-'));
  const srv = (p = '') => onHost('sx1', join('srv', p));

  it('uploads a folder recursively with mirrorLocalMode, then into an existing folder under its own name', async () => {
    const tree = join(local, 'site');
    mkdirSync(join(tree, 'css'), { recursive: true });
    writeFileSync(join(tree, 'index.html'), '<h1>hi</h1>\n');
    writeFileSync(join(tree, 'css', "it's.css"), 'a{}\n');
    chmodSync(join(tree, 'css', "it's.css"), 0o600);
    rmSync(srv('www'), { recursive: true, force: true });
    const first = await fabHere(['-H', 'sx1', 'doPut', '--local', tree, '--remote', '/srv/www', '--mirror']);
    expect(logged(first.stdout, 'put')).toEqual({
      bytes: 16,
      remotes: ["/srv/www/css/it's.css", '/srv/www/index.html'],
    });
    expect(readFileSync(srv("www/css/it's.css"), 'utf8')).toBe('a{}\n');
    expect(statSync(srv("www/css/it's.css")).mode & 0o777).toBe(0o600);
    const second = await fabHere(['-H', 'sx1', 'doPut', '--local', tree, '--remote', '/srv/www']);
    expect(logged<{ remotes: string[] }>(second.stdout, 'put').remotes).toContain('/srv/www/site/index.html');
  });

  it('uploads a glob with a mode, and refuses a glob that matches nothing (exit 2)', async () => {
    for (const n of ['a', 'b']) writeFileSync(join(local, `${n}.tgz`), n);
    const r = await fabHere([
      '-H',
      'sx1',
      'doPut',
      '--local',
      join(local, '*.tgz'),
      '--remote',
      '/srv/dist',
      '--mode',
      '640',
    ]);
    expect(logged(r.stdout, 'put')).toEqual({ bytes: 2, remotes: ['/srv/dist/a.tgz', '/srv/dist/b.tgz'] });
    expect(statSync(srv('dist/b.tgz')).mode & 0o777).toBe(0o640);
    const none = await fabHere(['-H', 'sx1', 'doPut', '--local', join(local, '*.none'), '--remote', '/srv/dist']);
    expect(none.code).toBe(2);
    expect(none.stderr + none.stdout).toMatch(/matches no file/);
  });

  it('puts a single small file into an existing folder under its name, or to the path itself (one exec)', async () => {
    writeFileSync(join(local, 'one.txt'), 'one\n');
    mkdirSync(srv('into'), { recursive: true });
    chmodSync(srv('into'), 0o777);
    const into = await fabHere(['-H', 'sx1', 'doPut', '--local', join(local, 'one.txt'), '--remote', '/srv/into']);
    expect(logged(into.stdout, 'put')).toEqual({ bytes: 4, remotes: ['/srv/into/one.txt'] });
    expect(readFileSync(srv('into/one.txt'), 'utf8')).toBe('one\n');
    const args = ['--local', join(local, 'one.txt'), '--remote', '/srv/renamed.txt', '--mode', '600'];
    const plain = await fabHere(['-H', 'sx1', 'doPut', ...args]);
    expect(logged(plain.stdout, 'put')).toEqual({ bytes: 4, remotes: ['/srv/renamed.txt'] });
    expect(statSync(srv('renamed.txt')).mode & 0o777).toBe(0o600);
    const missing = await fabHere(['-H', 'sx1', 'doPut', '--local', join(local, 'one.txt'), '--remote', '/srv/no/x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr + missing.stdout).toMatch(/\/srv\/no\/x: .*(No such file|nonexistent)/);
  });

  it('puts a larger file over cat (one exec) inside a folder with a mode; a missing folder is the same error', async () => {
    const big = join(local, 'big.bin');
    writeFileSync(big, Buffer.alloc(2 * 1048576 + 3, 7));
    mkdirSync(srv('into'), { recursive: true });
    chmodSync(srv('into'), 0o777);
    const into = await fabHere(['-H', 'sx1', 'doPut', '--local', big, '--remote', '/srv/into', '--mode', '640']);
    expect(logged(into.stdout, 'put')).toEqual({ bytes: 2 * 1048576 + 3, remotes: ['/srv/into/big.bin'] });
    expect(readFileSync(srv('into/big.bin')).equals(readFileSync(big))).toBe(true);
    expect(statSync(srv('into/big.bin')).mode & 0o777).toBe(0o640);
    expect(readdirSync(srv('into')).filter((f) => f.startsWith('.fab-put'))).toEqual([]);
    const missing = await fabHere(['-H', 'sx1', 'doPut', '--local', big, '--remote', '/srv/no/x']);
    expect(missing.code).toBe(1);
    expect(missing.stderr + missing.stdout).toMatch(/\/srv\/no\/x: No such file/);
  });

  it('sudo put replaces a root file atomically, keeping its owner, group and mode, and leaves no temp files', async () => {
    const etc = onHost('sx1', 'srv/root-owned');
    mkdirSync(etc, { recursive: true });
    chmodSync(etc, 0o755);
    writeFileSync(join(etc, 'app.conf'), 'old\n', { mode: 0o640 });
    execFileSync('chown', ['root:adm', join(etc, 'app.conf'), etc]);
    const inode = statSync(join(etc, 'app.conf')).ino;
    writeFileSync(join(local, 'app.conf'), 'new\n', { mode: 0o644 });
    const denied = await fabHere([
      '-H',
      'sx1',
      'doPut',
      '--local',
      join(local, 'app.conf'),
      '--remote',
      '/srv/root-owned/app.conf',
    ]);
    expect(denied.code).toBe(1);
    expect(denied.stderr + denied.stdout).toMatch(/\/srv\/root-owned\/app\.conf: .*Permission denied/);
    const r = await fabHere([
      '-H',
      'sx1',
      'doPut',
      '--local',
      join(local, 'app.conf'),
      '--remote',
      '/srv/root-owned/app.conf',
      '--sudo',
    ]);
    expect(r.code).toBe(0);
    const s = statSync(join(etc, 'app.conf'));
    expect([readFileSync(join(etc, 'app.conf'), 'utf8'), s.mode & 0o777, s.uid, s.gid]).toEqual([
      'new\n',
      0o640,
      0,
      Number(execFileSync('getent', ['group', 'adm']).toString().split(':')[2]),
    ]);
    expect(s.ino).not.toBe(inode);
    const leftovers = await labSsh(
      lab.state,
      'sx1',
      'ls -a /srv/root-owned; ls -d /tmp/.fab-put.* 2>/dev/null || true',
    );
    expect(leftovers.stdout.trim().split('\n')).toEqual(['.', '..', 'app.conf']);
  });

  it('sudo get reads a root-only file; the local path template keeps hosts apart', async () => {
    writeFileSync(srv('secret.txt'), 'k=v\n', { mode: 0o600 });
    execFileSync('chown', ['root:root', srv('secret.txt')]);
    const out = join(local, 'got');
    const denied = await fabHere([
      '-H',
      'sx1',
      'doGet',
      '--remote',
      '/srv/secret.txt',
      '--local',
      join(out, '{host}.txt'),
    ]);
    expect(denied.code).toBe(1);
    const r = await fabHere([
      '-H',
      'sx1',
      'doGet',
      '--remote',
      '/srv/secret.txt',
      '--local',
      join(out, '%(host)s/%(path)s'),
      '--sudo',
    ]);
    expect(r.code).toBe(0);
    expect(readFileSync(join(out, 'sx1/srv/secret.txt'), 'utf8')).toBe('k=v\n');
    writeFileSync(onHost('tty1', 'srv/hostname.txt'), 'tty1\n');
    writeFileSync(srv('hostname.txt'), 'sx1\n');
    for (const h of ['sx1', 'tty1']) chmodSync(onHost(h, 'srv/hostname.txt'), 0o644);
    const both = await fabHere([
      '-H',
      'sx1,tty1',
      'doGet',
      '--remote',
      '/srv/hostname.txt',
      '--local',
      join(out, 'per-host/{host}'),
    ]);
    expect(both.code).toBe(0);
    expect(['sx1', 'tty1'].map((h) => readFileSync(join(out, 'per-host', h), 'utf8'))).toEqual(['sx1\n', 'tty1\n']);
    const clash = await fabHere([
      '-H',
      'sx1,tty1',
      'doGet',
      '--remote',
      '/srv/hostname.txt',
      '--local',
      join(out, 'same.txt'),
    ]);
    expect(clash.code).toBe(2);
    expect(clash.stdout).toMatch(/same for all 2 hosts[\s\S]*fix: put \{host\}/);
    expect(existsSync(join(out, 'same.txt'))).toBe(false);
  });
});

describe('large files', () => {
  // 256 MiB is enough to tell streaming from buffering: a buffered copy alone would exceed the 150 MB bound.
  it('puts and gets 256 MiB with peak RSS under 150 MB, byte for byte', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-big-'));
    const big = join(dir, 'big.bin');
    execFileSync('sh', ['-c', `head -c 256M /dev/urandom > ${big}`]);
    let progress: { bytes: number; total: number; time: string }[] = [];
    const timed = async (args: string[]) => {
      const fabArgs = [join(REPO, 'bin/fab.js'), '-f', `${FIXTURES}/ssh.ts`, 'lab', '-H', 'sx1', '--json', ...args];
      const { stdout, stderr } = await execFileP('/usr/bin/time', ['-f', 'rss=%M', process.execPath, ...fabArgs], {
        env: { ...process.env, FAB_LAB_DIR: DIR },
        maxBuffer: 1 << 24,
      });
      progress = stdout
        .split('\n')
        .filter((l) => l.includes('"transfer.progress"'))
        .map((l) => JSON.parse(l) as (typeof progress)[number]);
      return Number(/rss=(\d+)/.exec(stderr)![1]) / 1024;
    };
    const upMb = await timed(['doPut', '--local', big, '--remote', '/srv/big.bin']);
    // --json: progress events while the bytes move, growing, at most one per 500 ms.
    if (progress.length > 1) {
      const gaps = progress.slice(1).map((p, i) => Date.parse(p.time) - Date.parse(progress[i]!.time));
      expect(Math.min(...gaps)).toBeGreaterThanOrEqual(450);
      expect(progress.map((p) => p.bytes)).toEqual([...progress.map((p) => p.bytes)].sort((a, b) => a - b));
    }
    expect(progress.length).toBeGreaterThan(0);
    expect(progress.every((p) => p.total === 256 * 1048576)).toBe(true);
    const downMb = await timed(['doGet', '--remote', '/srv/big.bin', '--local', join(dir, 'back-{host}.bin')]);
    const sum = (p: string) => execFileSync('sha256sum', [p]).toString().split(' ')[0];
    expect(sum(onHost('sx1', 'srv/big.bin'))).toBe(sum(big));
    expect(sum(join(dir, 'back-sx1.bin'))).toBe(sum(big));
    expect(upMb).toBeLessThan(150);
    expect(downMb).toBeLessThan(150);
    rmSync(dir, { recursive: true });
    rmSync(onHost('sx1', 'srv/big.bin'));
  });
});

describe('rsyncProject', () => {
  it("syncs a tree over fab's endpoint with excludes and delete", async () => {
    const src = mkdtempSync(join(tmpdir(), 'fab-rsync-'));
    mkdirSync(join(src, 'lib'));
    writeFileSync(join(src, 'app.py'), 'print(1)\n');
    writeFileSync(join(src, 'lib', 'util.py'), 'x = 1\n');
    writeFileSync(join(src, 'debug.log'), 'noise\n');
    const dest = onHost('sx1', 'srv/proj');
    rmSync(dest, { recursive: true, force: true });
    mkdirSync(dest);
    writeFileSync(join(dest, 'stale.py'), 'old\n');
    execFileSync('chown', ['-R', 'fabts:fabts', dest]);
    const r = await fabHere([
      '-H',
      'sx1',
      'doRsync',
      '--local',
      `${src}/`,
      '--remote',
      '/srv/proj',
      '--delete',
      '--exclude',
      '*.log',
    ]);
    expect(r.code).toBe(0);
    expect(execFileSync('find', ['.', '-type', 'f'], { cwd: dest }).toString().trim().split('\n').sort()).toEqual([
      './app.py',
      './lib/util.py',
    ]);
    expect(r.stdout).toMatch(
      /\[sx1\] local: rsync -pthrvz --delete '--exclude=\*\.log' -e 'ssh -p 2222 -l fabts .*StrictHostKeyChecking=yes/,
    );
  });
});

describe('reboot', () => {
  it('waits for the connection to drop and for sshd to answer again, then continues on a new connection', async () => {
    const flag = onHost('sx1', 'run/fab-reboot-requested');
    rmSync(flag, { force: true });
    // The "reboot": the command leaves a flag and hangs; the lab takes the host down for a second, then starts sshd again.
    const rebooting = fabHere([
      '-H',
      'sx1',
      '--json',
      '--set',
      'rebootCommand=touch /run/fab-reboot-requested && sleep 60',
      'doReboot',
    ]);
    await waitFor('the reboot command', () => existsSync(flag), 20_000);
    rmSync(flag);
    await lab.stopHost('sx1');
    await new Promise((r) => setTimeout(r, 1000));
    await lab.startHost('sx1');
    const r = await rebooting;
    expect(r.code).toBe(0);
    const msgs = r.events.filter((e) => e.type === 'message').map((e) => (e as { text: string }).text);
    const { before, after, ms } = logged<{ before: string; after: string; ms: number }>(msgs.join('\n'), 'reboot');
    expect(after).not.toBe(before);
    expect(ms).toBeGreaterThanOrEqual(1000);
    expect(r.events.filter((e) => e.type === 'connect').length).toBe(2);
  });

  it('gives up with a clear error when the host does not come back within wait', async () => {
    const flag = onHost('sx1', 'run/fab-reboot-requested');
    rmSync(flag, { force: true });
    const rebooting = fabHere([
      '-H',
      'sx1',
      '--set',
      'rebootCommand=touch /run/fab-reboot-requested && sleep 60',
      'doReboot',
      '--wait',
      '2',
    ]);
    await waitFor('the reboot command', () => existsSync(flag), 20_000);
    await lab.stopHost('sx1');
    try {
      const r = await rebooting;
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/reboot: SSH did not answer within 2s after the reboot/);
    } finally {
      await lab.startHost('sx1');
    }
  });
});
