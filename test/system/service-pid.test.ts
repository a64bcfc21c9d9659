import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { serviceCommand } from '../../lib/system/service.js';

/** The pid-file commands run by a real `sh` (dash on Debian) against real processes, one of them a zombie. */
const dir = mkdtempSync(join(tmpdir(), 'fab-svc-'));
const pidFile = join(dir, 'x.pid');
const def = { name: 'x', pidFile };
const run = (action: 'status' | 'stop') =>
  spawnSync('sh', ['-c', serviceCommand(def, action, 'commands')!.text]).status;
const state = (pid: number) => readFileSync(`/proc/${pid}/stat`, 'utf8').replace(/^.*\) /, '')[0];
const started: number[] = [];

afterEach(() => {
  for (const pid of started.splice(0)) spawnSync('kill', ['-KILL', String(pid)]);
});

describe('service commands from a pid file', () => {
  it('take a zombie (exited, not reaped by its parent or init yet) as stopped: status 1, stop at once', async () => {
    // the inner sleep exits at once; its parent execs a long sleep that never reaps it: a zombie until then
    rmSync(pidFile, { force: true });
    const parent = spawn('sh', ['-c', 'sleep 0 & echo $! >"$0"; exec sleep 30', pidFile], { stdio: 'ignore' });
    started.push(parent.pid!);
    let zombie = 0;
    for (let i = 0; i < 200 && !(zombie && state(zombie) === 'Z'); i++) {
      await new Promise((r) => setTimeout(r, 10));
      zombie = existsSync(pidFile) ? Number(readFileSync(pidFile, 'utf8').trim() || 0) : 0;
    }
    expect(state(zombie)).toBe('Z');
    expect(spawnSync('kill', ['-0', String(zombie)]).status).toBe(0); // what the old check saw: "running"
    expect(run('status')).toBe(1);
    expect(run('stop')).toBe(0);
    expect(state(zombie)).toBe('Z'); // still unreaped: the stop did not wait for the reaping
  });

  it('see a live process as running, and stop it with TERM, waiting until it is gone', () => {
    const child = spawn('sleep', ['30'], { stdio: 'ignore' });
    started.push(child.pid!);
    writeFileSync(pidFile, `${child.pid}\n`);
    expect(run('status')).toBe(0);
    const exited = new Promise((r) => child.on('exit', (_code, sig) => r(sig)));
    expect(run('stop')).toBe(0);
    return expect(exited).resolves.toBe('SIGTERM');
  });

  it('stop is a no-op without a pid file', () => {
    rmSync(pidFile, { force: true });
    expect(run('stop')).toBe(0);
    expect(run('status')).toBe(1);
  });
});
