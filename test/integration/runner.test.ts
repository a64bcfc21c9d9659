import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostname } from 'node:os';
import { FIXTURES, REPO, fab as fabWith, fabLab as fabLabWith } from '../helpers/fab.js';
import { runOnTty } from '../helpers/tty.js';
import { labSsh, testLab, testLabDir } from '../lab/shared.js';

const outLines = (stdout: string, host: string) =>
  stdout
    .split('\n')
    .filter((l) => l.startsWith(`[${host}] out: `))
    .map((l) => l.slice(`[${host}] out: `.length));

// The same behaviour on both transports: embedded ssh2, and the system's OpenSSH client (one ControlMaster per host).
const CLIENTS = [
  { client: 'ssh2', env: {} },
  { client: 'openssh', env: { FAB_SSH_CLIENT: 'openssh', XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'fab-xdg-')) } },
];

describe.each(CLIENTS)('fab against real sshd hosts ($client)', ({ env: clientEnv }) => {
  type Opts = Parameters<typeof fabWith>[1];
  const withClient = (opts: Opts = {}): Opts => ({ ...opts, env: { ...clientEnv, ...opts.env } });
  const fab = (args: string[], opts?: Opts) => fabWith(args, withClient(opts));
  const fabLab = (args: string[], opts?: Opts) => fabLabWith(args, withClient(opts));

  it('runs an ad-hoc command on a role of the lab, each host answering as itself', async () => {
    const r = await fab(['lab', '-R', 'web', '-x', 'web4,web5,web6,web7,web8,web9,web10', '--', 'cat /etc/hostname']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    for (const h of ['web1', 'web2', 'web3']) expect(outLines(r.stdout, h)).toEqual([h]);
    expect(r.stdout).toMatch(/Done in .*3 hosts: 3 ok/);
  });

  it('runs run and NOPASSWD sudo through the DSL', async () => {
    const r = await fabLab(['-H', 'web1', 'whoami', '--json']);
    expect(r.code).toBe(0);
    const out = r.events.filter((e) => e.type === 'output').map((e) => e.type === 'output' && e.line);
    expect(out).toEqual(['fabts', 'root']);
  });

  it('feeds a sudo password from FAB_SUDO_PASSWORD and never prints it', async () => {
    const { sudoPassword, sudoUser } = testLab();
    const r = await fabLab(['-u', sudoUser, '-H', 'web2', 'whoami', '--json'], {
      env: { FAB_SUDO_PASSWORD: sudoPassword },
    });
    expect(r.code).toBe(0);
    expect(r.events.filter((e) => e.type === 'output').map((e) => e.type === 'output' && e.line)).toEqual([
      sudoUser,
      'root',
    ]);
    expect(r.stdout + r.stderr).not.toContain(sudoPassword);
    // sudo to another user with the same password
    const other = await fabLab(['-u', sudoUser, '-H', 'web2', 'sudoAs', 'nobody'], {
      env: { FAB_SUDO_PASSWORD: sudoPassword },
    });
    expect(outLines(other.stdout, 'web2')).toEqual(['nobody']);
  });

  it('asks for the sudo password once on a terminal with --sudo-password, without echoing it', async () => {
    const { sudoPassword, sudoUser } = testLab();
    // A real pseudo-terminal; the password is typed once the prompt is shown (echo is off by then).
    const line = [
      'node',
      `${REPO}bin/fab.js`,
      '-f',
      FIXTURES,
      'lab',
      '-u',
      sudoUser,
      '-H',
      'web1,web2',
      '--sudo-password',
      'whoami',
    ].join(' ');
    const r = await runOnTty(line, {
      env: { ...process.env, FAB_LAB_DIR: testLabDir(), NO_COLOR: '1', ...clientEnv },
      prompt: /sudo password: /,
      answers: [sudoPassword],
    });
    expect(r.code).toBe(0);
    expect(r.out.match(/sudo password: /g)).toHaveLength(1);
    expect(r.out).toMatch(/\[web2\] out: root/);
    expect(r.out).toMatch(/2 hosts: 2 ok/);
    expect(r.out).not.toContain(sudoPassword);
  });

  it('refuses --sudo-password without a terminal instead of hanging', async () => {
    const r = await fabLab(['-H', 'web1', '--sudo-password', 'whoami']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/--sudo-password needs a terminal[\s\S]*FAB_SUDO_PASSWORD/);
  });

  it("runs local() on the operator's machine with the host's name in its environment", async () => {
    const r = await fabLab(['-H', 'web2,web3', 'localEcho']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`[web2] local: printf`);
    expect(r.stdout).toContain(`[web3] out: web3@${hostname()}`);
  });

  it('fails fast when sudo needs a password and none is given, and on a wrong one', async () => {
    const { sudoUser, sudoPassword } = testLab();
    const none = await fabLab(['-u', sudoUser, '-H', 'web2', 'whoami']);
    expect(none.code).toBe(1);
    expect(none.stdout).toMatch(/sudo: a password is required and none was given/);
    expect(none.ms).toBeLessThan(8000);
    const wrong = await fabLab(['-u', sudoUser, '-H', 'web2', 'whoami'], {
      env: { FAB_SUDO_PASSWORD: 'not-the-password' },
    });
    expect(wrong.code).toBe(1);
    expect(wrong.stdout).toMatch(/sudo password was rejected/);
    expect(wrong.stdout + wrong.stderr).not.toContain('not-the-password');
    expect(wrong.stdout + wrong.stderr).not.toContain(sudoPassword);
  });

  it('runs cd + sudo inside the directory (the Fabric cd/sudo bug) with nested cd', async () => {
    await labSsh(testLab(), 'web3', 'mkdir -p "/srv/my dir"');
    const j = await fabLab(['-H', 'web3', '--set', 'sub=my dir', 'cdSudo', '--json']);
    expect(j.code).toBe(0);
    expect(j.events.filter((e) => e.type === 'output').map((e) => e.type === 'output' && e.line)).toEqual([
      '/srv/my dir',
      '/tmp',
    ]);
  });

  it('passes hostile task arguments through sh`` byte for byte, by position and by key', async () => {
    const hostile = `it's "q" $(touch /srv/pwned) \`id\` a\\b;&|<>\nline2  end`;
    for (const args of [['echoArg', hostile], [`echoArg:value=${hostile.replace(/,/g, '\\,').replace(/=/g, '\\=')}`]]) {
      const r = await fabLab(['-H', 'web4', ...args]);
      expect(r.code).toBe(0);
      const file = readFileSync(join(testLab().hosts.web4!.root, 'srv/echo-arg.out'), 'utf8');
      expect(file).toBe(hostile + hostile);
    }
    expect(() => readFileSync(join(testLab().hosts.web4!.root, 'srv/pwned'))).toThrow();
  });

  it('puts and gets files over SFTP, keeping bytes and mode, on several hosts in parallel', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-put-'));
    const local = join(dir, "payload it's.bin");
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(local, data);
    const r = await fabLab([
      '-H',
      'web1,web2,web3',
      '-P',
      'roundTrip',
      local,
      "/srv/up loaded's.bin",
      join(dir, '{host}', 'back.bin'),
    ]);
    expect(r.code).toBe(0);
    for (const h of ['web1', 'web2', 'web3']) {
      expect(readFileSync(join(dir, h, 'back.bin')).equals(data)).toBe(true);
      expect(readFileSync(join(testLab().hosts[h]!.root, "srv/up loaded's.bin")).equals(data)).toBe(true);
      expect(outLines(r.stdout, h)).toEqual(['640']);
    }
    const s = await fabLab(['-H', 'web1', 'putSudo', local, '/srv/owned-by-root.bin']);
    expect(s.code).toBe(0);
    expect(outLines(s.stdout, 'web1')).toEqual(['root']);
  });

  it('reuses one connection per host for every command of the run', async () => {
    const log = join(testLab().hosts.web5!.root, '..', 'sshd.log');
    const before = readFileSync(log, 'utf8').match(/Accepted publickey/g)?.length ?? 0;
    const r = await fabLab(['-H', 'web5', 'manyCommands', '--n', '25']);
    expect(r.code).toBe(0);
    const after = readFileSync(log, 'utf8').match(/Accepted publickey/g)?.length ?? 0;
    expect(after - before).toBe(1);
  });

  it('runs on 10 hosts in parallel; one failing host fails the run and is named, the nine others finish', async () => {
    const r = await fabLab(['-R', 'web', '-P', 'failOn', 'web7', '--json']);
    expect(r.code).toBe(1);
    const end = r.events.find((e) => e.type === 'run.end');
    expect(
      end?.type === 'run.end' &&
        end.hosts
          .filter((h) => h.status === 'ok')
          .map((h) => h.host)
          .sort(),
    ).toHaveLength(9);
    const failed = end?.type === 'run.end' ? end.hosts.filter((h) => h.status === 'failed') : [];
    expect(failed.map((h) => h.host)).toEqual(['web7']);
    expect(failed[0]!.reason).toMatch(/exited with code 7[\s\S]*failing here/);
    const text = await fabLab(['-R', 'web', '-P', 'failOn', 'web7']);
    expect(text.stdout).toMatch(
      /Failed in .* 10 hosts: 9 ok, 1 failed\n {2}web7 +failed probe.failOn: command exited with code 7/,
    );
  });

  it('keeps parallel output whole: every line belongs to one host and is complete', async () => {
    const r = await fabLab(['-R', 'web', '-P', '--hide', 'running,status', 'chatty', '--lines', '150']);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l.includes(' out: '));
    expect(lines).toHaveLength(1500);
    for (const l of lines) expect(l).toMatch(/^\[(web\d+)\] out: \1-x{50}-\d+$/);
  });

  it('reads settings typed, with --set overriding the host set', async () => {
    const r = await fabLab(['-H', 'web1', '--set', 'port=8080,debug,name=a\\,b', 'typedSettings', '--json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('"status":"ok"');
    const bad = await fabLab(['-H', 'web1', '--set', 'port=eighty', 'typedSettings']);
    expect(bad.code).toBe(2);
    expect(bad.stdout).toMatch(/setting "port": expected a number/);
  });

  it('runs a runsOnce task once, fanning out with execute() and warnOnly', async () => {
    const r = await fabLab(['-R', 'web', 'once']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/Executing task 'probe.once'/g)).toHaveLength(1);
    expect(r.stdout).toContain('once saw web1,web2,web3,web4,web5,web6,web7,web8,web9,web10');
    expect(r.stdout).toContain('warnOnly code 3');
  });

  it('prints one JSON event per line with --json', async () => {
    const r = await fab(['lab', '-H', 'web1', '--json', '--', 'echo hi']);
    const lines = r.stdout.trim().split('\n');
    expect(lines.every((l) => JSON.parse(l).type)).toBe(true);
    expect(r.events.map((e) => e.type)).toEqual([
      'run.start',
      'task.start',
      'connect',
      'command.start',
      'output',
      'command.end',
      'task.end',
      'run.end',
    ]);
  });
});
