// Round trips on a slow link: fab through latency proxies (bench/latency-proxy.ts) in front of the shared lab,
// counting the proxies' turns (client bursts that answer the server) inside each timed operation. Counts, not
// timings. A turn count is an upper bound of the round trips waited for: the client's channel CLOSE after the
// server's, and the EOF a sudo command gets once sudo is done asking, answer the server without waiting for it.
// Before the exec path was pipelined these were: command 2-3, sudo 3, edit 9-10, sudo edit 9, sudo with a password 4.
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { proxyLab, type ProxiedLab } from '../../bench/latency-lab.js';
import { median } from '../../bench/measure.js';
import { fab, REPO } from '../helpers/fab.js';
import { testLab } from '../lab/shared.js';

let px: ProxiedLab;
const turnLog: number[] = [];
beforeAll(async () => {
  px = await proxyLab(testLab(), mkdtempSync(join(tmpdir(), 'fab-latency-lab-')), 15);
  for (const p of Object.values(px.ssh.proxies)) p.turnLog = turnLog;
});
afterAll(() => px?.close());

/** Runs bench/fabfiles/latency.ts's ops on web1 through the proxies; turns of each repetition, by op. */
async function turnsOf(ops: string, extra: string[] = [], env: Record<string, string> = {}) {
  turnLog.length = 0;
  const files = ['-f', `${REPO}fabfiles`, '-f', `${REPO}bench/fabfiles/latency.ts`];
  const r = await fab([...files, 'lab', '-H', 'web1', ...extra, 'latencyOps', '--ops', ops, '--reps', '3'], {
    env: { FAB_LAB_DIR: px.dir, ...env },
  });
  expect(r.stderr + r.stdout).not.toMatch(/FAILED/);
  expect(r.code).toBe(0);
  const by: Record<string, number[]> = {};
  for (const line of r.stdout.split('\n').filter((l) => l.startsWith('LATENCY '))) {
    const e = JSON.parse(line.slice(8)) as { op: string; start: number; end: number };
    (by[e.op] ??= []).push(turnLog.filter((t) => t >= e.start && t <= e.end).length);
  }
  return Object.fromEntries(Object.entries(by).map(([k, v]) => [k, median(v)]));
}

describe('round trips on a warm connection, through a 30 ms RTT proxy (turns: an upper bound of round trips)', () => {
  it('a command is one turn, a passwordless sudo at most two, an edit three, a small put two (before: 2-3, 3, 9-11, 5)', async () => {
    const t = await turnsOf('command,sudo,edit,editSudo,put');
    expect(t['command']).toBe(1);
    expect(t['sudo']).toBeLessThanOrEqual(2);
    // Read, then the compare-and-swap script with the content on stdin: its exec, then (once sshd opened the
    // channel's window, which it does only when the command runs) the content.
    expect(t['edit']).toBeLessThanOrEqual(3);
    // The same with sudo; its turns also count the EOF fab sends once sudo is done asking (before: 6).
    expect(t['edit (sudo)']).toBeLessThanOrEqual(5);
    // One exec with the content on stdin: the exec, then the content once the window opens (SFTP + stat: 5).
    expect(t['put 1 KiB']).toBeLessThanOrEqual(2);
  });

  it('sudo with a password answers the prompt in one more round trip', async () => {
    const lab = testLab();
    const t = await turnsOf('sudo', ['-u', lab.sudoUser], { FAB_SUDO_PASSWORD: lab.sudoPassword });
    expect(t['sudo']).toBeLessThanOrEqual(3);
  });
});
