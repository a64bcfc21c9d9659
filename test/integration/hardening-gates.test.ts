// The tcp and command health gates (lib/health/gates.ts) against lab hosts, through a fixture task that
// logs every attempt: pass, fail with a clear detail, rise counting, timeout.
import { spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { fab, REPO } from '../helpers/fab.js';
import { labSsh, testLab } from '../lab/shared.js';

const gate = (host: string, args: string[]) =>
  fab(['-f', `${REPO}test/fixtures/hardening/fabfiles`, 'lab', '-H', host, '--hide', 'running', 'gate', ...args]);
const attempts = (out: string) => [...out.matchAll(/attempt (\d+) (ok|failed): (.*)/g)].map((m) => `${m[1]} ${m[2]}`);
const addr = (h: string) => testLab().hosts[h]!.address.replace(/\./g, '\\.');
const COUNTER = '/srv/hardening-gate-count';

afterAll(async () => {
  await labSsh(testLab(), 'web9', `rm -f ${COUNTER}`);
});

describe('tcp gate', () => {
  it('passes on an open port after exactly `rise` attempts', async () => {
    const r = await gate('web8', ['--kind', 'tcp', '--target', '{address}', '--port', '2222', '--rise', '3']);
    expect(r.code).toBe(0);
    expect(attempts(r.stdout)).toEqual(['1 ok', '2 ok', '3 ok']);
    expect(r.stdout).toMatch(new RegExp(`attempt 1 ok: ${addr('web8')}:2222 accepts connections`));
    expect(r.stdout).toContain('gate passed after 3 attempts');
  });

  it('fails on a closed port when its timeout runs out, naming the address and the refusal', async () => {
    const r = await gate('web8', [
      '--kind',
      'tcp',
      '--target',
      '{address}',
      '--port',
      '1',
      '--interval',
      '200ms',
      '--timeout',
      '1s',
    ]);
    expect(r.code).toBe(1);
    const tries = attempts(r.stdout);
    expect(tries.length).toBeGreaterThanOrEqual(3);
    expect(tries.every((t) => t.endsWith('failed'))).toBe(true);
    expect(r.stdout).toMatch(
      new RegExp(
        `gate "tcp ${addr('web8')}:1" did not pass after ${tries.length} attempt\\(s\\); last failure: ${addr('web8')}:1: connect ECONNREFUSED`,
      ),
    );
  });

  it('fails at once on an address it has no route to', async () => {
    // private1 is only reachable through bastion: from here the route is "unreachable".
    const r = await gate('web8', [
      '--kind',
      'tcp',
      '--target',
      testLab().hosts.private1!.address,
      '--port',
      '2222',
      '--timeout',
      '300ms',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/last failure: 10\.\d+\.2\.2:2222: connect EHOSTUNREACH/);
  });

  it('gives up on a port whose SYNs go unanswered within the gate timeout', async () => {
    // A listener that never accepts, its queue filled: Linux drops further SYNs, so a connect hangs.
    const address = testLab().hosts.web8!.address;
    const py =
      'import socket,sys,time\ns=socket.socket(); s.bind((sys.argv[1], 0)); s.listen(0)\nprint(s.getsockname()[1], flush=True); time.sleep(60)';
    const listener = spawn('python3', ['-c', py, address], { stdio: ['ignore', 'pipe', 'inherit'] });
    const fillers: Socket[] = [];
    try {
      const port = Number(
        await new Promise<string>((res) => listener.stdout.once('data', (d: Buffer) => res(d.toString()))),
      );
      for (let i = 0; i < 3; i++) fillers.push(connect({ host: address, port }).on('error', () => undefined));
      await new Promise((res) => setTimeout(res, 200));
      const r = await gate('web8', [
        '--kind',
        'tcp',
        '--target',
        '{address}',
        '--port',
        String(port),
        '--interval',
        '100ms',
        '--timeout',
        '1500ms',
      ]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(new RegExp(`last failure: ${addr('web8')}:${port}: no answer within \\d+ ms`));
      expect(r.ms).toBeLessThan(10_000);
    } finally {
      for (const f of fillers) f.destroy();
      listener.kill();
    }
  });
});

describe('command gate (on the host)', () => {
  it('counts rise in a row: fails twice, then passes on the 3rd and 4th attempt', async () => {
    await labSsh(testLab(), 'web9', `rm -f ${COUNTER}`);
    const cmd = `n=$(($(cat ${COUNTER} 2>/dev/null || echo 0) + 1)); echo $n > ${COUNTER}; [ $n -ge 3 ] || { echo "not yet: $n" >&2; exit 1; }`;
    const r = await gate('web9', ['--kind', 'command', '--target', cmd, '--rise', '2', '--timeout', '30s']);
    expect(r.code).toBe(0);
    expect(attempts(r.stdout)).toEqual(['1 failed', '2 failed', '3 ok', '4 ok']);
    expect(r.stdout).toContain('attempt 2 failed: exit 1: not yet: 2');
    expect(r.stdout).toContain('gate passed after 4 attempts');
  });

  it('a flapping check never reaches rise 2 and fails at its timeout with the last failure', async () => {
    await labSsh(testLab(), 'web9', `rm -f ${COUNTER}`);
    const cmd = `n=$(($(cat ${COUNTER} 2>/dev/null || echo 0) + 1)); echo $n > ${COUNTER}; [ $((n % 2)) -eq 0 ] || { echo "odd $n" >&2; exit 4; }`;
    const r = await gate('web9', [
      '--kind',
      'command',
      '--target',
      cmd,
      '--rise',
      '2',
      '--interval',
      '100ms',
      '--timeout',
      '3s',
    ]);
    expect(r.code).toBe(1);
    const tries = attempts(r.stdout);
    expect(tries.length).toBeGreaterThanOrEqual(4);
    expect(tries.filter((t) => t.endsWith('ok')).length).toBeGreaterThanOrEqual(2);
    expect(r.stdout).toMatch(/did not pass after \d+ attempt\(s\); last failure: exit 4: odd \d+/);
  });

  it('a check that hangs is cut at the gate timeout instead of holding the gate forever', async () => {
    const r = await gate('web9', ['--kind', 'command', '--target', 'sleep 30', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.ms).toBeLessThan(20_000);
    expect(r.stdout).toMatch(
      /gate "command sleep 30" did not pass after 1 attempt\(s\); last failure: no answer within \d+ ms \(stopped\)/,
    );
    // Nothing left running on the host.
    const left = await labSsh(testLab(), 'web9', 'pgrep -u fabts -f "^sleep 30$" || true');
    expect(left.stdout.trim()).toBe('');
  });
});
