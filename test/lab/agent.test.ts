/**
 * --persist over the embedded ssh2 client: the per-user fab agent keeps the connections, later runs
 * reuse them. Real sshd hosts of the shared lab; each test has its own XDG_RUNTIME_DIR (its own agent).
 */
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fab, fabLab } from '../helpers/fab.js';
import { labSsh, testLab } from './shared.js';
import { startAuthSshd } from './auth-sshd.js';
import { accepted, connectTarget, outcome, status, useRuntimeDirs } from './agent-helpers.js';

const xdgDir = useRuntimeDirs();

describe('--persist over ssh2: the fab agent', () => {
  it('reuses the connection on later runs (no new login), with output and exit codes as a direct run', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const env = { XDG_RUNTIME_DIR };
    const cmd = ['--', 'hostname; echo to-err >&2; printf "no newline"; exit 4'];
    const direct = await fab(['lab', '-H', 'web4,web5', '-P', '--json', ...cmd], { env });
    const before = [accepted('web4'), accepted('web5')];
    const first = await fab(['lab', '-H', 'web4,web5', '-P', '--persist', '30s', '--json', ...cmd], { env });
    expect(connectTarget(first, 'web4')).not.toMatch(/warm/);
    expect([accepted('web4'), accepted('web5')]).toEqual(before.map((n) => n + 1));
    const agent = await status(XDG_RUNTIME_DIR);
    expect(agent).toMatchObject({ logins: 2, connections: 2 });

    for (let i = 0; i < 2; i++) {
      const again = await fab(['lab', '-H', 'web4,web5', '-P', '--persist', '30s', '--json', ...cmd], { env });
      expect(connectTarget(again, 'web4')).toMatch(/\(warm\)$/);
      expect(connectTarget(again, 'web5')).toMatch(/\(warm\)$/);
      expect(outcome(again)).toEqual(outcome(direct));
    }
    expect(outcome(direct)).toEqual({
      code: 1,
      output: [
        'web4 stderr:to-err',
        'web4 stdout:no newline',
        'web4 stdout:web4',
        'web5 stderr:to-err',
        'web5 stdout:no newline',
        'web5 stdout:web5',
      ].sort(),
      ends: ['web4 4', 'web5 4'],
    });
    expect([accepted('web4'), accepted('web5')]).toEqual(before.map((n) => n + 1));
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ pid: agent!.pid, logins: 2 });
  });

  it('feeds the sudo password only on sudo prompt, and the agent keeps it nowhere', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const { sudoPassword, sudoUser } = testLab();
    const env = { XDG_RUNTIME_DIR, FAB_SUDO_PASSWORD: sudoPassword };
    for (let i = 0; i < 2; i++) {
      const r = await fabLab(['-u', sudoUser, '-H', 'web5', '--persist', '30s', 'whoami', '--json'], { env });
      expect(r.code).toBe(0);
      expect(outcome(r).output).toEqual(['web5 stdout:fabtspw', 'web5 stdout:root']);
      expect(r.stdout + r.stderr).not.toContain(sudoPassword);
      if (i) expect(connectTarget(r, 'web5')).toMatch(/\(warm\)$/);
    }
    const { pid } = (await status(XDG_RUNTIME_DIR))!;
    for (const f of ['cmdline', 'environ'])
      expect(readFileSync(`/proc/${pid}/${f}`, 'latin1')).not.toContain(sudoPassword);
  });

  it('puts and gets files through the agent (mode kept, bytes equal), reusing the connection', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const local = mkdtempSync(join(tmpdir(), 'fab-agent-files-'));
    const data = Buffer.from(Array.from({ length: 300_000 }, (_, i) => (i * 7) % 256));
    writeFileSync(join(local, 'up.bin'), data);
    for (let i = 0; i < 2; i++) {
      const back = join(local, `back${i}.bin`);
      const r = await fabLab(
        ['-H', 'web4', '--persist', '30s', '--json', 'roundTrip', join(local, 'up.bin'), `/srv/agent-${i}.bin`, back],
        { env: { XDG_RUNTIME_DIR } },
      );
      expect(r.code).toBe(0);
      expect(outcome(r).output).toEqual(['web4 stdout:640']);
      expect(readFileSync(back).equals(data)).toBe(true);
    }
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ logins: 1 });
  });

  it('edits a file through the agent (SFTP read, upload, compare-and-swap): changed once, then left alone', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const path = `/srv/agent-sed-${process.pid}.conf`;
    await labSsh(testLab(), 'web4', `printf 'a = old\\nb = old-too\\n' > ${path}`);
    const sed = (before: string, after: string) =>
      fabLab(['-H', 'web4', '--persist', '30s', 'doSed', '--path', path, '--before', before, '--after', after], {
        env: { XDG_RUNTIME_DIR },
      });
    const r = await sed('= old\n', '= new\n');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('changed=true matched=1');
    expect((await sed('= old\n', '= new\n')).stdout).toContain('changed=false matched=0');
    expect((await labSsh(testLab(), 'web4', `cat ${path}`)).stdout).toBe('a = new\nb = old-too\n');
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ logins: 1 });
  });

  it('keeps a jump chain warm: private1 through bastion', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const env = { XDG_RUNTIME_DIR };
    expect((await fab(['lab', '-H', 'private1', '--persist', '30s', '--', 'hostname'], { env })).code).toBe(0);
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ logins: 2, connections: 2 });
    const before = accepted('private1');
    const again = await fab(['lab', '-H', 'private1', '--persist', '30s', '--json', '--', 'hostname'], { env });
    expect(outcome(again).output).toEqual(['private1 stdout:private1']);
    expect(connectTarget(again, 'private1')).toMatch(/via bastion \(warm\)$/);
    expect(accepted('private1')).toBe(before);
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ logins: 2 });
  });

  it('does not reuse a connection for another key file or another known_hosts file', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const env = { XDG_RUNTIME_DIR };
    const lab = testLab();
    const other = mkdtempSync(join(tmpdir(), 'fab-agent-id-'));
    copyFileSync(lab.knownHosts, join(other, 'known_hosts'));
    copyFileSync(lab.clientKey, join(other, 'key'));
    const run = (extra: string[]) => fab(['lab', '-H', 'web4', '--persist', '30s', ...extra, '--', 'true'], { env });
    expect((await run([])).code).toBe(0);
    expect((await run([])).code).toBe(0);
    expect((await status(XDG_RUNTIME_DIR))!.logins).toBe(1);
    expect((await run(['--known-hosts', join(other, 'known_hosts')])).code).toBe(0);
    expect((await status(XDG_RUNTIME_DIR))!.logins).toBe(2);
    expect((await run(['-i', join(other, 'key')])).code).toBe(0);
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ logins: 3, connections: 3 });
  });

  it('logs in with a password once (FAB_PASSWORD), sent only to open; the agent keeps it nowhere', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const pw = await startAuthSshd(testLab(), 'web10', { port: 2241, password: true });
    try {
      const cfg = join(pw.dir, 'ssh_config');
      const lines = [`Host a`, `HostName ${pw.address}`, `Port ${pw.port}`, 'User fabtspw', 'IdentitiesOnly yes'];
      writeFileSync(cfg, `${[...lines, `UserKnownHostsFile ${pw.knownHosts}`].join('\n  ')}\n`);
      const password = testLab().sudoPassword;
      const env = { XDG_RUNTIME_DIR, FAB_PASSWORD: password };
      for (let i = 0; i < 2; i++) {
        const r = await fab(['--ssh-config', cfg, '-H', 'a', '--persist', '30s', '--json', '--', 'whoami'], { env });
        expect(outcome(r)).toEqual({ code: 0, output: ['a stdout:fabtspw'], ends: ['a 0'] });
        expect(r.stdout + r.stderr).not.toContain(password);
      }
      expect((readFileSync(pw.log, 'utf8').match(/Accepted password for fabtspw/g) ?? []).length).toBe(1);
      const { pid, logins } = (await status(XDG_RUNTIME_DIR))!;
      expect(logins).toBe(1);
      for (const f of ['cmdline', 'environ'])
        expect(readFileSync(`/proc/${pid}/${f}`, 'latin1')).not.toContain(password);
    } finally {
      await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
      await pw.stop();
    }
  });
});
