import { createHash, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fabLab, type FabRun } from '../helpers/fab.js';
import { status, useRuntimeDirs } from '../lab/agent-helpers.js';
import { allCommandLines } from '../lab/proc.js';
import { testLab } from '../lab/shared.js';

/**
 * A `secret()` in a remote or local command never shows on a command line `ps` shows. The lab's hosts share
 * this machine's process table (they are mount + UTS namespaces), so /proc here sees the remote shells too.
 */

/** Runs fab while sampling every command line; returns the run and the lines that showed `needle`. */
async function watch(run: Promise<FabRun>, needle: string): Promise<{ r: FabRun; leaks: string[]; samples: number }> {
  let done = false;
  const leaks = new Set<string>();
  let samples = 0;
  const sampling = (async () => {
    while (!done) {
      for (const l of allCommandLines()) if (l.includes(needle)) leaks.add(l);
      samples++;
      await new Promise((res) => setTimeout(res, 25));
    }
  })();
  const r = await run;
  done = true;
  await sampling;
  return { r, leaks: [...leaks], samples };
}

const sha = (s: string) => createHash('sha256').update(s).digest('hex');
const xdgDir = useRuntimeDirs();

interface Case {
  name: string;
  args: string[];
  env?: () => Record<string, string>;
  user: () => string;
  stdin?: string;
  /** Log in as the lab's user whose sudo asks for a password (given in FAB_SUDO_PASSWORD). */
  password?: boolean;
}

const labUser = () => testLab().user;
const CASES: Case[] = [
  { name: 'run (ssh2)', args: ['--how', 'run'], user: labUser },
  { name: 'run (--ssh-client openssh)', args: ['--how', 'run'], env: openssh, user: labUser },
  { name: 'run over the fab agent (--persist)', args: ['--how', 'run'], env: agent, user: labUser },
  { name: 'run with user stdin', args: ['--how', 'run'], user: labUser, stdin: 'line 1\nline 2 $HOME \\\n' },
  { name: 'run with user stdin (openssh)', args: ['--how', 'run'], env: openssh, user: labUser, stdin: 'a\nb\n' },
  { name: 'run with pty: true', args: ['--how', 'run', '--pty'], user: labUser },
  { name: 'run with pty: true (openssh)', args: ['--how', 'run', '--pty'], env: openssh, user: labUser },
  { name: 'sudo (NOPASSWD)', args: ['--how', 'sudo'], user: () => 'root' },
  {
    name: 'sudo -u nobody with stdin',
    args: ['--how', 'sudo', '--user', 'nobody'],
    user: () => 'nobody',
    stdin: 'x\n',
  },
  { name: 'sudo with a sudo password', args: ['--how', 'sudo'], password: true, user: () => 'root', stdin: 'in\n' },
  { name: 'sudo with a sudo password and pty', args: ['--how', 'sudo', '--pty'], password: true, user: () => 'root' },
  {
    name: 'sudo with a sudo password and pty (openssh)',
    args: ['--how', 'sudo', '--pty'],
    env: openssh,
    password: true,
    user: () => 'root',
  },
  {
    name: 'sudo with a sudo password (openssh)',
    args: ['--how', 'sudo'],
    env: openssh,
    password: true,
    user: () => 'root',
  },
  { name: 'sudo over the fab agent', args: ['--how', 'sudo'], env: agent, password: true, user: () => 'root' },
  { name: 'local()', args: ['--how', 'local'], user: () => userInfo().username, stdin: 'local in\n' },
  { name: "zx's $", args: ['--how', 'zx'], user: () => userInfo().username },
  { name: "zx's $ with input", args: ['--how', 'zx'], user: () => userInfo().username, stdin: 'zx in\n$HOME\n' },
];

function openssh(): Record<string, string> {
  return { FAB_SSH_CLIENT: 'openssh', XDG_RUNTIME_DIR: mkdtempSync(join(tmpdir(), 'fab-xdg-')) };
}
function agent(): Record<string, string> {
  return { XDG_RUNTIME_DIR: xdgDir(), FAB_PERSIST: '30s' };
}

describe('secret() values stay off every command line', () => {
  it.each(CASES)('$name', async (c) => {
    const core = `S3cr3t-${randomBytes(6).toString('hex')}`;
    const value = `${core} 'q" \\ $HOME`;
    const dir = mkdtempSync(join(tmpdir(), 'fab-secret-'));
    chmodSync(dir, 0o777); // sudo -u nobody writes here too
    const out = join(dir, 'out');
    const pw: Record<string, string> = c.password ? { FAB_SUDO_PASSWORD: testLab().sudoPassword } : {};
    const env: Record<string, string> = { FAB_TEST_SECRET: value, ...pw, ...(c.env?.() ?? {}) };
    const user = c.password ? ['-u', testLab().sudoUser] : [];
    const args = [...user, '-H', 'web6', '--json', 'secretPs', '--out', out, ...c.args];
    const { r, leaks, samples } = await watch(
      fabLab([...args, ...(c.stdin ? ['--stdin', c.stdin] : [])], { env }),
      core,
    );
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(samples).toBeGreaterThan(10);
    expect(leaks).toEqual([]);
    // The command got the value byte for byte, as the right user, and the user's stdin after it intact.
    const [who, tty, digest, count, ...rest] = readFileSync(out, 'utf8').split('\n');
    expect(who).toBe(c.user());
    expect(tty).toBe(c.args.includes('--pty') ? 'tty' : 'pipe');
    expect(digest).toBe(`${sha(value)}  -`);
    expect(Number(count)).toBe(Buffer.byteLength(value) + 'plain'.length);
    expect(rest.join('\n')).toBe(c.stdin ?? '');
    // Output that echoes it is masked; no event, line or error carries it.
    const lines = r.events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
    expect(lines).toContain('printed=***');
    expect(r.events).toContainEqual(expect.objectContaining({ type: 'message', text: 'result=the value' }));
    expect(r.stdout + r.stderr).not.toContain(core);
    // The agent cases really went through the agent: it holds the connection now.
    if (env.FAB_PERSIST) expect(await status(env.XDG_RUNTIME_DIR!)).toMatchObject({ connections: 1 });
  });

  it('--dry-run shows *** and runs nothing', async () => {
    const core = `S3cr3t-${randomBytes(6).toString('hex')}`;
    const out = join(mkdtempSync(join(tmpdir(), 'fab-secret-')), 'out');
    const r = await fabLab(['-H', 'web6', '--json', '--dry-run', 'secretPs', '--out', out, '--how', 'sudo'], {
      env: { FAB_TEST_SECRET: core },
    });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const start = r.events.find((e) => e.type === 'command.start');
    expect(start).toMatchObject({ dryRun: true, requested: expect.stringContaining('printed=***') });
    expect(r.stdout + r.stderr).not.toContain(core);
    expect(existsSync(out)).toBe(false);
  });

  it('refuses a secret with a newline (exit 2, naming the fix) before anything runs', async () => {
    const out = join(mkdtempSync(join(tmpdir(), 'fab-secret-')), 'out');
    const r = await fabLab(['-H', 'web6', 'secretPs', '--out', out, '--how', 'run'], {
      env: { FAB_TEST_SECRET: 'S3cr3t-line1\nline2' },
    });
    expect(r.code, r.stdout + r.stderr).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/secret\(\) #1 of `.*printed=\*\*\*` contains a newline/);
    expect(r.stdout + r.stderr).toMatch(/fix: pass a multi-line value as the command's own stdin/);
    expect(r.stdout + r.stderr).not.toContain('S3cr3t-line1');
    expect(existsSync(out)).toBe(false);
  });
});
