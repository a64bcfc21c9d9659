import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { runOnTty } from '../helpers/tty.js';
import { startAuthSshd, type AuthSshd } from '../lab/auth-sshd.js';
import { allCommandLines } from '../lab/proc.js';
import { testLab } from '../lab/shared.js';

/**
 * Password and keyboard-interactive logins against real sshd (a second sshd in web10 with those
 * methods on, see test/lab/auth-sshd.ts), as the lab's `fabtspw` user, whose password is set at `up`.
 */
const lab = () => testLab();
let pw: AuthSshd;
let kbd: AuthSshd;

/** An ssh_config with aliases a, b (the same sshd): no keys and no agent, so only a password can log in. */
function passwordConfig(s: AuthSshd): string {
  const file = join(s.dir, 'ssh_config');
  const block = (alias: string) =>
    `Host ${alias}\n  HostName ${s.address}\n  Port ${s.port}\n  User fabtspw\n  IdentitiesOnly yes\n  UserKnownHostsFile ${s.knownHosts}\n`;
  writeFileSync(file, block('a') + block('b'));
  return file;
}

beforeAll(async () => {
  pw = await startAuthSshd(lab(), 'web10', { port: 2231, password: true });
  kbd = await startAuthSshd(lab(), 'web10', { port: 2232, kbdInteractive: true });
});
afterAll(async () => {
  await pw?.stop();
  await kbd?.stop();
});

describe('password logins', () => {
  it('logs in with FAB_PASSWORD (password method); the password is in no output, event or command line', async () => {
    const cfg = passwordConfig(pw);
    const password = lab().sudoPassword;
    let seen = '';
    const run = fab(['--ssh-config', cfg, '-H', 'a,b', '-P', '--json', '--', 'whoami; sleep 1'], {
      env: { FAB_PASSWORD: password },
    });
    // While fab runs (the remote sleep), no process shows the password on its command line.
    await new Promise((r) => setTimeout(r, 500));
    seen = allCommandLines().join('\n');
    const r = await run;
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.events.filter((e) => e.type === 'output').map((e) => (e as { line: string }).line)).toEqual([
      'fabtspw',
      'fabtspw',
    ]);
    expect(readFileSync(pw.log, 'utf8')).toMatch(/Accepted password for fabtspw/);
    expect(seen).not.toContain(password);
    expect(r.stdout + r.stderr).not.toContain(password);
  });

  it('logs in through keyboard-interactive (PAM) with the same password', async () => {
    const r = await fab(['--ssh-config', passwordConfig(kbd), '-H', 'a', '--', 'whoami'], {
      env: { FAB_PASSWORD: lab().sudoPassword },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('fabtspw');
    expect(readFileSync(kbd.log, 'utf8')).toMatch(/Accepted keyboard-interactive\/pam for fabtspw/);
  });

  it('a wrong password fails each host with an auth reason, never showing the password', async () => {
    const wrong = 'not-the-Password-42';
    const r = await fab(['--ssh-config', passwordConfig(pw), '-H', 'a,b', '-P', '--json', '--', 'true'], {
      env: { FAB_PASSWORD: wrong },
    });
    expect(r.code).toBe(1);
    const end = r.events.find((e) => e.type === 'run.end') as {
      hosts: Array<{ host: string; status: string; kind?: string; reason?: string }>;
    };
    expect(end.hosts.map((h) => [h.host, h.status, h.kind])).toEqual([
      ['a', 'failed', 'auth'],
      ['b', 'failed', 'auth'],
    ]);
    expect(end.hosts[0]!.reason).toMatch(/authentication failed for user fabtspw \(tried password\)/);
    expect(r.stdout + r.stderr).not.toContain(wrong);
  });

  it('without a password, a password-only host says nothing could be tried', async () => {
    const r = await fab(['--ssh-config', passwordConfig(pw), '-H', 'a', '--', 'true']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/authentication failed for user fabtspw \(tried no keys\)/);
  });

  it('a passphrase-protected key nobody can unlock is skipped, and the password still logs in', async () => {
    const key = join(pw.dir, 'locked');
    execFileSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', 'some phrase', '-f', key]);
    const cfg = passwordConfig(pw);
    writeFileSync(
      join(pw.dir, 'locked.conf'),
      readFileSync(cfg, 'utf8').replace(/IdentitiesOnly yes/g, `IdentitiesOnly yes\n  IdentityFile ${key}`),
    );
    const ok = await fab(['--ssh-config', join(pw.dir, 'locked.conf'), '-H', 'a', '--', 'whoami'], {
      env: { FAB_PASSWORD: lab().sudoPassword },
    });
    expect(ok.code, ok.stdout + ok.stderr).toBe(0);
    expect(ok.stdout).toContain('out: fabtspw');
    // Nothing else logs in: the locked key is the reason given.
    const no = await fab(['--ssh-config', join(pw.dir, 'locked.conf'), '-H', 'a', '--', 'true']);
    expect(no.code).toBe(1);
    expect(no.stdout).toContain(`key ${key} is passphrase-protected and no terminal to ask for its passphrase`);
  });

  it('-I asks once on a terminal, for all parallel hosts', async () => {
    const cfg = passwordConfig(pw);
    const t = await runOnTty(`node bin/fab.js --ssh-config ${cfg} -H a,b -P -I -- whoami`, {
      env: { ...process.env, SSH_AUTH_SOCK: '', FAB_PASSWORD: '' },
      prompt: /login password: /,
      answers: [lab().sudoPassword],
    });
    expect(t.code, t.out).toBe(0);
    expect(t.out.match(/login password: /g)).toHaveLength(1);
    expect(t.out.match(/out: fabtspw/g)).toHaveLength(2);
    expect(t.out).not.toContain(lab().sudoPassword);
  });

  it('-p asks once on a terminal, only when a host wants a password', async () => {
    const t = await runOnTty(`node bin/fab.js --ssh-config ${passwordConfig(pw)} -H a,b -P -p -- whoami`, {
      env: { ...process.env, SSH_AUTH_SOCK: '', FAB_PASSWORD: '' },
      prompt: /password for fabtspw: /,
      answers: [lab().sudoPassword],
    });
    expect(t.code, t.out).toBe(0);
    expect(t.out.match(/password for fabtspw: /g)).toHaveLength(1);
    expect(t.out.match(/out: fabtspw/g)).toHaveLength(2);
  });

  it('-I and -p without a terminal: exit 2 naming FAB_PASSWORD, nothing runs', async () => {
    for (const flag of ['-I', '-p']) {
      const r = await fab(['--ssh-config', passwordConfig(pw), '-H', 'a', flag, '--', 'true']);
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(new RegExp(`${flag}/--[a-z-]+ needs a terminal[\\s\\S]*FAB_PASSWORD`));
    }
  });
});
