import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { checkRunning, restartCheck } from '../../lib/recipes/mysqlchk-script.js';

/** installMysqlchk's restart without systemd, run by a real `sh` against real processes, one of them a zombie. */
const dir = mkdtempSync(join(tmpdir(), "fab-chk '"));
const pidFile = join(dir, 'chk.pid');
// Stands in for the check: writes its pid where `--pidfile` says, then runs until stopped.
const fakeCheck = `sh -c 'echo $$ >"$2"; exec sleep 30' fake-check`;
const started: number[] = [];
const sh = (text: string) => spawnSync('sh', ['-c', text], { encoding: 'utf8', timeout: 5000 });
const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
const pidIn = () => (existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim() || 0) : 0);

async function until<T>(get: () => T, ok: (v: T) => boolean): Promise<T> {
  for (let i = 0; i < 300; i++) {
    const v = get();
    if (ok(v)) return v;
    await new Promise((r) => setTimeout(r, 10));
  }
  return get();
}

afterEach(() => {
  for (const pid of [...started.splice(0), pidIn()]) if (pid) spawnSync('kill', ['-KILL', String(pid)]);
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the mysqlchk restart without systemd, in a real shell', () => {
  it('takes a zombie in the pid file as stopped: starts the new check at once', async () => {
    // the inner sleep exits at once; its parent execs a long sleep that never reaps it: a zombie until then
    rmSync(pidFile, { force: true });
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $! >"$0"; exec sleep 30', pidFile], { stdio: 'ignore' });
    started.push(parent.pid!);
    const zombie = await until(pidIn, (p) => p > 0 && state(p) === 'Z');
    expect(state(zombie)).toBe('Z');
    expect(sh(checkRunning(pidFile).text).status).toBe(1);
    // The old wait (`while kill -0`) looped until the zombie was reaped: here 30 s, past this 5 s timeout.
    expect(sh(restartCheck(pidFile, fakeCheck, join(dir, 'log')).text)).toMatchObject({ status: 0 });
    const fresh = await until(pidIn, (p) => p > 0 && p !== zombie);
    expect(fresh).not.toBe(zombie);
    expect(sh(checkRunning(pidFile).text).status).toBe(0);
  });

  it('stops a running check with TERM, waits until it is gone, then starts the new one', async () => {
    const old = spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(old.pid!);
    writeFileSync(pidFile, `${old.pid}\n`);
    expect(sh(checkRunning(pidFile).text).status).toBe(0);
    const exited = new Promise((r) => old.on('exit', (_code, sig) => r(sig)));
    expect(sh(restartCheck(pidFile, fakeCheck, join(dir, 'log')).text)).toMatchObject({ status: 0 });
    await expect(exited).resolves.toBe('SIGTERM');
    const fresh = await until(pidIn, (p) => p > 0 && p !== old.pid);
    expect(fresh).not.toBe(old.pid);
  });
});
