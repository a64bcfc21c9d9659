import { chmodSync, chownSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fab, fabLab, type FabRun } from '../helpers/fab.js';
import { testLab } from '../lab/shared.js';
import { run } from '../lab/proc.js';

/** Each test gets its own XDG_RUNTIME_DIR, so its masters are its own. */
const runtimeDir = () => mkdtempSync(join(tmpdir(), 'fab-xdg-'));
const accepted = (host: string) =>
  (readFileSync(join(testLab().hosts[host]!.root, '..', 'sshd.log'), 'utf8').match(/Accepted publickey/g) ?? []).length;
const sockets = (xdg: string) =>
  readdirSync(join(xdg, 'fabts'))
    .filter((f) => f.startsWith('p-'))
    .map((f) => join(xdg, 'fabts', f));
const alive = (pid: number) => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};
async function masterPid(socket: string): Promise<number | undefined> {
  const r = await run('ssh', ['-o', `ControlPath=${socket}`, '-O', 'check', 'x'], { timeoutMs: 5000 });
  const m = /pid=(\d+)/.exec(r.stderr);
  return r.code === 0 && m ? Number(m[1]) : undefined;
}
const connectTarget = (r: FabRun, host: string) => {
  const e = r.events.find((x) => x.type === 'connect' && x.host === host);
  return e?.type === 'connect' ? e.target : undefined;
};
async function until(what: () => boolean, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

describe('--persist: warm connections across runs (OpenSSH ControlPersist)', () => {
  it('a second run opens no new connection, and --persist-stop closes it', async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    const before = accepted('web6');
    const first = await fab(
      ['lab', '-H', 'web6', '--ssh-client', 'openssh', '--persist', '30s', '--json', '--', 'hostname'],
      {
        env: { XDG_RUNTIME_DIR },
      },
    );
    expect(first.code).toBe(0);
    expect(connectTarget(first, 'web6')).not.toMatch(/warm/);
    expect(accepted('web6')).toBe(before + 1);
    const [socket] = sockets(XDG_RUNTIME_DIR);
    const pid = await masterPid(socket!);
    expect(pid).toBeGreaterThan(0);

    for (let i = 0; i < 2; i++) {
      const again = await fab(
        [
          'lab',
          '-H',
          'web6',
          '--ssh-client',
          'openssh',
          '--persist',
          '30s',
          '--json',
          '--',
          'hostname; echo e >&2; exit 4',
        ],
        { env: { XDG_RUNTIME_DIR } },
      );
      expect(again.code).toBe(1);
      expect(connectTarget(again, 'web6')).toMatch(/\(warm\)$/);
      const out = again.events
        .filter((e) => e.type === 'output')
        .map((e) => e.type === 'output' && `${e.stream}:${e.line}`);
      expect(out).toEqual(['stdout:web6', 'stderr:e']);
      const end = again.events.find((e) => e.type === 'command.end');
      expect(end?.type === 'command.end' && end.code).toBe(4);
    }
    expect(accepted('web6')).toBe(before + 1);
    expect(await masterPid(socket!)).toBe(pid);

    const stop = await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
    expect(stop.code).toBe(0);
    expect(stop.stdout).toBe('closed 1 kept connection(s)\n');
    expect(await until(() => !alive(pid!), 3000)).toBe(true);
    expect(sockets(XDG_RUNTIME_DIR)).toEqual([]);
  });

  it('keeps a jump chain warm: private1 through bastion', async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    const first = await fab(
      ['lab', '-H', 'private1', '--ssh-client', 'openssh', '--persist', '30s', '--', 'hostname'],
      {
        env: { XDG_RUNTIME_DIR },
      },
    );
    expect(first.code).toBe(0);
    expect(first.stdout).toContain('[private1] out: private1');
    expect(sockets(XDG_RUNTIME_DIR)).toHaveLength(2);
    const before = [accepted('private1'), accepted('bastion')];
    const again = await fab(
      ['lab', '-H', 'private1', '--ssh-client', 'openssh', '--persist', '30s', '--json', '--', 'hostname'],
      {
        env: { XDG_RUNTIME_DIR },
      },
    );
    expect(again.code).toBe(0);
    expect(connectTarget(again, 'private1')).toMatch(/via bastion \(warm\)$/);
    expect([accepted('private1'), accepted('bastion')]).toEqual(before);
    await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
  });

  it('takes its default from the configuration (FAB_PERSIST); --persist 0 turns it off for one run', async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    const env = { XDG_RUNTIME_DIR, FAB_PERSIST: '30s' };
    expect((await fab(['lab', '-H', 'web7', '--ssh-client', 'openssh', '--', 'true'], { env })).code).toBe(0);
    expect(sockets(XDG_RUNTIME_DIR)).toHaveLength(1);
    const before = accepted('web7');
    const off = await fab(['lab', '-H', 'web7', '--ssh-client', 'openssh', '--persist', '0', '--json', '--', 'true'], {
      env,
    });
    expect(connectTarget(off, 'web7')).not.toMatch(/warm/);
    expect(accepted('web7')).toBe(before + 1);
    const on = await fab(['lab', '-H', 'web7', '--ssh-client', 'openssh', '--json', '--', 'true'], { env });
    expect(connectTarget(on, 'web7')).toMatch(/\(warm\)$/);
    await fab(['--persist-stop'], { env });
  });

  it('without --persist (--ssh-client openssh), the run closes its own masters and leaves no socket', async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    const masters = () =>
      readdirSync('/proc')
        .filter((p) => /^\d+$/.test(p))
        .filter((p) => {
          try {
            return (
              readFileSync(`/proc/${p}/cmdline`, 'utf8').includes(`ControlPath=${XDG_RUNTIME_DIR}`) && alive(Number(p))
            );
          } catch {
            return false;
          }
        });
    const r = await fab(['lab', '-H', 'web7,private1', '--ssh-client', 'openssh', '--json', '--', 'hostname'], {
      env: { XDG_RUNTIME_DIR },
    });
    expect(r.code).toBe(0);
    expect(
      r.events
        .filter((e) => e.type === 'output')
        .map((e) => e.type === 'output' && e.line)
        .sort(),
    ).toEqual(['private1', 'web7']);
    expect(readdirSync(join(XDG_RUNTIME_DIR, 'fabts'))).toEqual([]);
    expect(await until(() => masters().length === 0, 3000)).toBe(true);
  });

  it('closes an idle master after the persist time', async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    expect(
      (
        await fab(['lab', '-H', 'web7', '--ssh-client', 'openssh', '--persist', '2s', '--', 'true'], {
          env: { XDG_RUNTIME_DIR },
        })
      ).code,
    ).toBe(0);
    const pid = (await masterPid(sockets(XDG_RUNTIME_DIR)[0]!))!;
    expect(alive(pid)).toBe(true);
    // ControlPersist=2: gone within a few seconds of its last use, socket and all.
    expect(await until(() => !alive(pid), 8000)).toBe(true);
    expect(sockets(XDG_RUNTIME_DIR)).toEqual([]);
  });

  it('replaces a killed or a wedged master; the run succeeds with its output and exit code', async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    const env = { XDG_RUNTIME_DIR };
    expect(
      (await fab(['lab', '-H', 'web8', '--ssh-client', 'openssh', '--persist', '30s', '--', 'true'], { env })).code,
    ).toBe(0);
    const socket = sockets(XDG_RUNTIME_DIR)[0]!;
    const killed = (await masterPid(socket))!;
    process.kill(killed, 'SIGKILL');
    await until(() => !alive(killed), 3000);
    const before = accepted('web8');
    const r = await fab(
      ['lab', '-H', 'web8', '--ssh-client', 'openssh', '--persist', '30s', '--json', '--', 'echo after-kill; exit 3'],
      { env },
    );
    expect(r.code).toBe(1);
    expect(connectTarget(r, 'web8')).not.toMatch(/warm/);
    expect(r.events.some((e) => e.type === 'output' && e.line === 'after-kill')).toBe(true);
    expect(accepted('web8')).toBe(before + 1);
    const replaced = (await masterPid(socket))!;
    expect(replaced).not.toBe(killed);

    // Wedged: the socket accepts but the master never answers.
    process.kill(replaced, 'SIGSTOP');
    try {
      const w = await fab(
        ['lab', '-H', 'web8', '--ssh-client', 'openssh', '--persist', '30s', '--', 'echo after-wedge'],
        { env },
      );
      expect(w.code).toBe(0);
      expect(w.stdout).toContain('[web8] out: after-wedge');
      const third = await masterPid(socket);
      expect(third).toBeGreaterThan(0);
      expect(third).not.toBe(replaced);
    } finally {
      process.kill(replaced, 'SIGKILL');
    }
    await fab(['--persist-stop'], { env });
  });

  it.each<[string, (dir: string) => void, RegExp]>([
    [
      'open to others',
      (d) => chmodSync(d, 0o755),
      /control socket directory .*fabts has mode 755: others could use its SSH connections\n\s*fix: chmod 700/,
    ],
    [
      "another user's",
      (d) => chownSync(d, 65534, 65534),
      /control socket directory .*fabts belongs to uid 65534, not to you/,
    ],
  ])('refuses a socket directory %s, before connecting (exit 2)', async (_what, spoil, message) => {
    const XDG_RUNTIME_DIR = runtimeDir();
    expect(
      (
        await fab(['lab', '-H', 'web9', '--ssh-client', 'openssh', '--persist', '30s', '--', 'true'], {
          env: { XDG_RUNTIME_DIR },
        })
      ).code,
    ).toBe(0);
    await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
    spoil(join(XDG_RUNTIME_DIR, 'fabts'));
    const before = accepted('web9');
    const r = await fab(
      ['lab', '-H', 'web9', '--ssh-client', 'openssh', '--persist', '30s', '--', 'touch /srv/should-not-exist'],
      {
        env: { XDG_RUNTIME_DIR },
      },
    );
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(message);
    expect(accepted('web9')).toBe(before);
  });

  it("never shows the command on the controller's process list (it goes on the ssh client's stdin)", async () => {
    const XDG_RUNTIME_DIR = runtimeDir();
    const token = `tok-${process.pid}-${Date.now()}`;
    const seen: string[] = [];
    const running = fabLab(
      ['-H', 'web6', '--ssh-client', 'openssh', '--persist', '30s', '--', `sleep 1; echo ${token}`],
      {
        env: { XDG_RUNTIME_DIR },
      },
    );
    // Sample until the run ends (not for a fixed time: on a loaded machine fab's start-up alone can take seconds).
    let finished = false;
    void running.then(() => (finished = true));
    while (!finished && seen.length === 0) {
      for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
        try {
          const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
          if (argv[0] === 'ssh' && argv.includes('ControlMaster=no')) seen.push(argv.join(' '));
        } catch {
          /* gone */
        }
      }
      await new Promise((r) => setTimeout(r, 50));
    }
    const r = await running;
    expect(r.stdout).toContain(`[web6] out: ${token}`);
    expect(seen.length).toBeGreaterThan(0);
    for (const argv of seen) expect(argv).not.toContain(token);
    await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
  });
});
