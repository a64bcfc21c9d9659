/**
 * The fab agent's life: idle expiry, --persist-stop, a killed, wedged or stale agent replaced without
 * losing the run's output or exit code, control directories that are not safe refused, Ctrl-C.
 */
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, readdirSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { labSsh, testLab, testLabHandle } from './shared.js';
import {
  accepted,
  agentSock,
  alive,
  connectTarget,
  controlDir,
  outcome,
  status,
  until,
  useRuntimeDirs,
} from './agent-helpers.js';

const xdgDir = useRuntimeDirs();
const pids: number[] = [];
afterEach(() => {
  // Agents this file stopped or orphaned on purpose.
  for (const pid of pids.splice(0)) if (alive(pid)) process.kill(pid, 'SIGKILL');
});
const warmRun = (XDG_RUNTIME_DIR: string, cmd: string, extra: string[] = []) =>
  fab(['lab', '-H', 'web5', '--persist', '30s', ...extra, '--json', '--', cmd], { env: { XDG_RUNTIME_DIR } });

describe('the fab agent: expiry and --persist-stop', () => {
  it('closes a connection after DURATION unused, then exits and removes its socket', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const r = await fab(['lab', '-H', 'web4', '--persist', '2s', '--', 'true'], { env: { XDG_RUNTIME_DIR } });
    expect(r.code).toBe(0);
    const { pid } = (await status(XDG_RUNTIME_DIR))!;
    expect(alive(pid)).toBe(true);
    expect(await until(() => !alive(pid), 10_000)).toBe(true);
    expect(existsSync(agentSock(XDG_RUNTIME_DIR))).toBe(false);
    const before = accepted('web4');
    const again = await fab(['lab', '-H', 'web4', '--persist', '2s', '--json', '--', 'true'], {
      env: { XDG_RUNTIME_DIR },
    });
    expect(connectTarget(again, 'web4')).not.toMatch(/warm/);
    expect(accepted('web4')).toBe(before + 1);
  });

  it('--persist-stop closes every kept connection and stops the agent', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    expect(
      (await fab(['lab', '-H', 'web4,web5', '--persist', '30s', '--', 'true'], { env: { XDG_RUNTIME_DIR } })).code,
    ).toBe(0);
    const { pid } = (await status(XDG_RUNTIME_DIR))!;
    const stop = await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
    expect([stop.code, stop.stdout]).toEqual([0, 'closed 2 kept connection(s)\n']);
    expect(await until(() => !alive(pid), 3000)).toBe(true);
    expect(existsSync(agentSock(XDG_RUNTIME_DIR))).toBe(false);
    expect((await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } })).stdout).toBe('closed 0 kept connection(s)\n');
  });
});

describe('the fab agent: dead, wedged or stale is replaced, never blocks a run', () => {
  it.each([
    ['killed (SIGKILL)', 'SIGKILL'],
    ['wedged (SIGSTOP: accepts, never answers)', 'SIGSTOP'],
  ] as const)('an agent %s is replaced; the run keeps its output and exit code', async (_what, sig) => {
    const XDG_RUNTIME_DIR = xdgDir();
    expect((await warmRun(XDG_RUNTIME_DIR, 'true')).code).toBe(0);
    const old = (await status(XDG_RUNTIME_DIR))!.pid;
    pids.push(old);
    process.kill(old, sig);
    const r = await warmRun(XDG_RUNTIME_DIR, 'echo after; echo e >&2; exit 3');
    expect(outcome(r)).toEqual({ code: 1, output: ['web5 stderr:e', 'web5 stdout:after'], ends: ['web5 3'] });
    expect(connectTarget(r, 'web5')).not.toMatch(/warm/);
    const now = (await status(XDG_RUNTIME_DIR))!;
    expect(now.pid).not.toBe(old);
    expect(now.logins).toBe(1);
  });

  it('runs started at once with no agent share one agent', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const runs = await Promise.all(
      ['web4', 'web5', 'web6'].map((h) =>
        fab(['lab', '-H', h, '--persist', '30s', '--json', '--', `echo ${h}`], { env: { XDG_RUNTIME_DIR } }),
      ),
    );
    expect(runs.map((r) => outcome(r).output)).toEqual([
      ['web4 stdout:web4'],
      ['web5 stdout:web5'],
      ['web6 stdout:web6'],
    ]);
    const agents = readdirSync('/proc').filter((p) => {
      try {
        const argv = readFileSync(`/proc/${p}/cmdline`, 'utf8');
        return argv.includes('agent/main.js') && argv.includes(XDG_RUNTIME_DIR);
      } catch {
        return false;
      }
    });
    // A second agent that lost the race for the socket exits at once; give it that moment.
    expect(await until(() => agents.filter((p) => alive(Number(p))).length <= 1, 3000)).toBe(true);
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ connections: 3 });
  });

  it('a stale socket file (nobody listening) is replaced', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    mkdirSync(controlDir(XDG_RUNTIME_DIR), { mode: 0o700 });
    // A socket bound and left behind, as after a crash.
    const py = `import socket; s=socket.socket(socket.AF_UNIX); s.bind(${JSON.stringify(agentSock(XDG_RUNTIME_DIR))})`;
    expect(spawnSync('python3', ['-c', py]).status).toBe(0);
    const r = await warmRun(XDG_RUNTIME_DIR, 'echo fine');
    expect(outcome(r)).toEqual({ code: 0, output: ['web5 stdout:fine'], ends: ['web5 0'] });
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ logins: 1, connections: 1 });
  });

  it('an agent killed mid-command: the command is reported lost (as a dropped connection), the run ends', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    expect((await warmRun(XDG_RUNTIME_DIR, 'true')).code).toBe(0);
    const old = (await status(XDG_RUNTIME_DIR))!.pid;
    pids.push(old);
    let killed = false;
    const r = await fab(['lab', '-H', 'web5', '--persist', '30s', '--', 'echo started; sleep 5; echo never'], {
      env: { XDG_RUNTIME_DIR },
      onStdout: (out) => {
        if (!killed && out.includes('out: started')) {
          killed = true;
          process.kill(old, 'SIGKILL');
        }
      },
    });
    expect(killed).toBe(true);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/\[web5\] lost the connection to .*: the fab agent went away/);
    expect(r.stdout).not.toContain('out: never');
    const next = await warmRun(XDG_RUNTIME_DIR, 'echo next');
    expect(outcome(next)).toEqual({ code: 0, output: ['web5 stdout:next'], ends: ['web5 0'] });
  });
});

describe('the fab agent: a host that went down between runs', () => {
  it('is reported as a direct run reports it, and reconnected once it is back', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const env = { XDG_RUNTIME_DIR };
    const run = () => fab(['lab', '-H', 'web4', '--persist', '30s', '--json', '--', 'echo up'], { env });
    expect((await run()).code).toBe(0);
    const lab = testLabHandle();
    await lab.stopHost('web4');
    try {
      const down = await run();
      const direct = await fab(['lab', '-H', 'web4', '--json', '--', 'echo up'], { env });
      expect(down.code).toBe(direct.code);
      expect(down.stdout).toMatch(/cannot connect to .*connection refused/);
    } finally {
      await lab.startHost('web4');
    }
    const before = accepted('web4');
    const back = await run();
    expect(outcome(back)).toEqual({ code: 0, output: ['web4 stdout:up'], ends: ['web4 0'] });
    expect(connectTarget(back, 'web4')).not.toMatch(/warm/);
    expect(accepted('web4')).toBe(before + 1);
    // The dropped connection was forgotten (the agent, holding nothing, may have exited and been restarted).
    expect(await status(XDG_RUNTIME_DIR)).toMatchObject({ connections: 1 });
    expect((await run()).code).toBe(0);
    expect(accepted('web4')).toBe(before + 1);
  });
});

describe('the fab agent: a control directory that is not safe is refused (exit 2), never repaired', () => {
  it.each<[string, (d: string) => void, RegExp]>([
    ['group-accessible', (d) => chmodSync(d, 0o770), /control socket directory .*fabts has mode 770/],
    ["another user's", (d) => chownSync(d, 65534, 65534), /control socket directory .*fabts belongs to uid 65534/],
  ])('%s', async (_what, spoil, message) => {
    const XDG_RUNTIME_DIR = xdgDir();
    expect((await warmRun(XDG_RUNTIME_DIR, 'true')).code).toBe(0);
    await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
    spoil(controlDir(XDG_RUNTIME_DIR));
    const before = accepted('web5');
    const r = await warmRun(XDG_RUNTIME_DIR, 'touch /srv/agent-should-not-exist');
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(message);
    expect(accepted('web5')).toBe(before);
    expect((await labSsh(testLab(), 'web5', 'test -e /srv/agent-should-not-exist; echo $?')).stdout.trim()).toBe('1');
  });
});

describe('the fab agent: Ctrl-C', () => {
  it('stops the remote command as without persistence, and the connection stays for the next run', async () => {
    const XDG_RUNTIME_DIR = xdgDir();
    const marker = `fab-agent-int-${process.pid}`;
    expect((await warmRun(XDG_RUNTIME_DIR, 'true')).code).toBe(0);
    let sent = false;
    const r = await fab(['lab', '-H', 'web5', '--persist', '30s', '--', `exec sleep 30 # ${marker}`], {
      env: { XDG_RUNTIME_DIR },
      onStdout: (out, kill) => {
        if (!sent && out.includes('run: exec sleep')) {
          sent = true;
          setTimeout(() => kill('SIGINT'), 300);
          setTimeout(() => kill('SIGINT'), 600);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    const left = () => labSsh(testLab(), 'web5', `pgrep -f "[${marker[0]}]${marker.slice(1)}" || true`);
    expect(await until(async () => (await left()).stdout.trim() === '', 5000)).toBe(true);
    const again = await warmRun(XDG_RUNTIME_DIR, 'echo still');
    expect(outcome(again).output).toEqual(['web5 stdout:still']);
    expect(connectTarget(again, 'web5')).toMatch(/\(warm\)$/);
  });
});
