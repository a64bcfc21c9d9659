import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIXTURES, REPO, fab, fab as fabWith, fabLab } from '../helpers/fab.js';
import { labSsh, testLab, testLabHandle } from '../lab/shared.js';

describe('bad input: exit 2, a clear message, nothing run', () => {
  it.each([
    [['lab', 'whoamii'], /unknown task or host set "whoamii"[\s\S]*did you mean "whoami"/],
    [['labb', 'whoami'], /unknown task or host set "labb"[\s\S]*did you mean "lab"/],
    [['lab', '-R', 'wbe', 'whoami'], /unknown role "wbe"[\s\S]*did you mean "web"/],
    [['lab', '-H', 'web11', 'whoami'], /unknown host "web11"[\s\S]*did you mean/],
    [['lab', '-H', 'web1', 'manyCommands', '--n', 'ten'], /--n: expected a number, got "ten"/],
    [['lab', '-H', 'web1', 'sudoAs'], /missing argument --user/],
    [['lab', '-H', 'web1', 'echoArg:=x'], /empty name before "="/],
    [['lab', '-H', 'web1', 'echoArg', 'a', 'b'], /unknown task "b", or one argument too many/],
  ])('fab %j', async (args, message) => {
    const r = await fab(['-f', FIXTURES, ...args]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('names the fabfile and line of a syntax error', async () => {
    const r = await fab(['-f', `${REPO}test/fixtures/broken-syntax`, '--list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot load .*broken-syntax\/bad\.ts: line 4/);
  });

  it('names the fabfile that throws on load', async () => {
    const r = await fab(['-f', `${REPO}test/fixtures/broken-throws`, '--list']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/cannot load .*throws\.ts: boom while loading/);
  });

  it('explains that the lab host set needs a running lab', async () => {
    const r = await fab(['lab', '--', 'true'], { env: { FAB_LAB_DIR: '/nonexistent' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/the lab is not running[\s\S]*npm run lab -- up/);
  });
});

// The same host-key policy and messages on both transports: embedded ssh2 and the system's OpenSSH client.
const CLIENTS = [
  { client: 'ssh2', env: {} },
  { client: 'openssh', env: { FAB_SSH_CLIENT: 'openssh', XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'fab-xdg-')) } },
];

describe.each(CLIENTS)('host keys, strictly ($client)', ({ env: clientEnv }) => {
  const fab = (args: string[], opts: Parameters<typeof fabWith>[1] = {}) =>
    fabWith(args, { ...opts, env: { ...clientEnv, ...opts.env } });
  const key = () =>
    readFileSync(testLab().knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`[${testLab().hosts.web1!.address}]`))!;

  it('refuses an unknown host key, and --accept-new records it', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-kh-'));
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, '');
    const r = await fab(['lab', '-H', 'web1', '--known-hosts', kh, '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/unknown host key for \[127\.\d+\.0\.\d+\]:2222: refusing to connect/);
    expect(r.stdout).toContain(testLab().hosts.web1!.hostKeyFingerprint);
    const tofu = await fab(['lab', '-H', 'web1', '--known-hosts', kh, '--accept-new', '--', 'true']);
    expect(tofu.code).toBe(0);
    expect(readFileSync(kh, 'utf8').trim()).toBe(key());
    expect((await fab(['lab', '-H', 'web1', '--known-hosts', kh, '--', 'true'])).code).toBe(0);
  });

  it('refuses a changed host key even with --accept-new, showing both fingerprints', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-kh-'));
    const kh = join(dir, 'known_hosts');
    const other = readFileSync(testLab().knownHosts, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`[${testLab().hosts.web2!.address}]`))!;
    // web2's key recorded under web1's address: what a man in the middle would look like.
    writeFileSync(kh, `${other.replace(testLab().hosts.web2!.address, testLab().hosts.web1!.address)}\n`);
    const r = await fab(['lab', '-H', 'web1', '--known-hosts', kh, '--accept-new', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('HOST KEY CHANGED');
    expect(r.stdout).toContain(`offered:  ssh-ed25519 ${testLab().hosts.web1!.hostKeyFingerprint}`);
    expect(r.stdout).toContain(`expected: ssh-ed25519 ${testLab().hosts.web2!.hostKeyFingerprint}`);
  });

  it('reads hashed known_hosts entries', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-kh-'));
    const kh = join(dir, 'known_hosts');
    writeFileSync(kh, `${key()}\n`);
    await labSsh(testLab(), 'web1', 'true');
    const { execFileSync } = await import('node:child_process');
    execFileSync('ssh-keygen', ['-H', '-f', kh], { stdio: 'ignore' });
    expect(readFileSync(kh, 'utf8').startsWith('|1|')).toBe(true);
    expect((await fab(['lab', '-H', 'web1', '--known-hosts', kh, '--', 'true'])).code).toBe(0);
  });
});

describe('reaching hosts', () => {
  it('jumps through bastion to private1, which is not reachable directly', async () => {
    const viaSet = await fab(['lab', '-H', 'private1', '--', 'hostname']);
    expect(viaSet.code).toBe(0);
    expect(viaSet.stdout).toContain('[private1] out: private1');
    const { sshConfig } = testLab();
    const viaConfig = await fab(['--ssh-config', sshConfig, '-H', 'private1', '--', 'hostname']);
    expect(viaConfig.stdout).toContain('[private1] out: private1');
    const direct = await fab(['lab', '-H', 'private1', '-g', 'web1', '-t', '3', '--', 'hostname']);
    expect(direct.code).toBe(1);
  });

  it('works with hosts named only in an ssh config', async () => {
    const r = await fab(['--ssh-config', testLab().sshConfig, '-H', 'web1,web2', '--', 'id -un']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[web2] out: fabts');
  });

  it('reports an unreachable host, and --skip-bad-hosts carries on', async () => {
    const lab = testLabHandle();
    await lab.stopHost('web9');
    try {
      const r = await fab(['lab', '-H', 'web8,web9', '--', 'true']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/web9 +failed cannot connect to fabts@127\.\d+\.0\.\d+:2222: connection refused/);
      const skip = await fab(['lab', '-H', 'web8,web9', '--skip-bad-hosts', '--', 'true']);
      expect(skip.code).toBe(0);
      expect(skip.stdout).toMatch(/web9 +unreachable/);
    } finally {
      await lab.startHost('web9');
    }
  });

  it('authenticates with ssh-agent when no key file is given', async () => {
    const { execFileSync } = await import('node:child_process');
    const lab = testLab();
    const agent = execFileSync('ssh-agent', ['-s']).toString();
    const sock = /SSH_AUTH_SOCK=([^;]+);/.exec(agent)![1]!;
    const pid = /SSH_AGENT_PID=(\d+);/.exec(agent)![1]!;
    try {
      execFileSync('ssh-add', [lab.clientKey], { env: { ...process.env, SSH_AUTH_SOCK: sock }, stdio: 'ignore' });
      const h = lab.hosts.web3!;
      const r = await fab(['-H', `fabts@${h.address}:${h.port}`, '--known-hosts', lab.knownHosts, '--', 'hostname'], {
        env: { SSH_AUTH_SOCK: sock, HOME: '/nonexistent' },
      });
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('out: web3');
      const none = await fab(
        ['-H', `fabts@${h.address}:${h.port}`, '--known-hosts', lab.knownHosts, '--', 'hostname'],
        { env: { HOME: '/nonexistent' } },
      );
      expect(none.stdout).toMatch(/authentication failed for user fabts \(tried no keys\)/);
    } finally {
      process.kill(Number(pid));
    }
  });

  it('retries the connection -n times', async () => {
    const lab = testLabHandle();
    await lab.stopHost('web9');
    try {
      const r = await fab(['lab', '-H', 'web9', '-n', '2', '--', 'true']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/connection refused; attempt 2 of 2/);
    } finally {
      await lab.startHost('web9');
    }
  });

  it('stops a command that runs past -T', async () => {
    const r = await fab(['lab', '-H', 'web7', '-T', '1', '--', 'sleep 20']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/command timed out after 1s: sleep 20/);
    expect(r.ms).toBeLessThan(8000);
  });

  it('times out on a host that accepts TCP but never speaks SSH', async () => {
    const lab = testLabHandle();
    await lab.pauseHost('web8');
    try {
      const r = await fab(['lab', '-H', 'web8', '-t', '1', '--', 'true']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/timed out after 1s/);
      expect(r.ms).toBeLessThan(6000);
    } finally {
      await lab.resumeHost('web8');
    }
  });

  it("applies ssh_config's ConnectTimeout when -t is not given, and -t over it", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-ct-'));
    const cfg = join(dir, 'ssh_config');
    writeFileSync(cfg, 'Host web8\n  ConnectTimeout 2\n');
    const lab = testLabHandle();
    await lab.pauseHost('web8');
    try {
      const fromConfig = await fab(['lab', '--ssh-config', cfg, '-H', 'web8', '--', 'true']);
      expect(fromConfig.code).toBe(1);
      expect(fromConfig.stdout).toMatch(/timed out after 2s/);
      const fromCli = await fab(['lab', '--ssh-config', cfg, '-H', 'web8', '-t', '1', '--', 'true']);
      expect(fromCli.stdout).toMatch(/timed out after 1s/);
    } finally {
      await lab.resumeHost('web8');
    }
  });
});

describe('Ctrl-C during a parallel run', () => {
  it('stops the commands, closes the connections, prints the summary and exits non-zero', async () => {
    const marker = `fab-sleep-${process.pid}`;
    let sent = false;
    const r = await fab(['lab', '-R', 'web', '-P', '--', `exec sleep 30 # ${marker}`], {
      onStdout: (out, kill) => {
        if (!sent && (out.match(/ run: exec sleep/g) ?? []).length === 10) {
          sent = true;
          setTimeout(() => kill('SIGINT'), 300);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.ms).toBeLessThan(15000);
    expect(r.stdout).toMatch(/10 hosts: .*interrupted/);
    // No remote sleep survives: closing the channel hung up the session.
    await new Promise((res) => setTimeout(res, 500));
    // [f]oo: the pattern does not match the shell that runs pgrep.
    const left = await labSsh(testLab(), 'web1', `pgrep -f "[${marker[0]}]${marker.slice(1)}" || true`);
    expect(left.stdout.trim()).toBe('');
  });
});
