import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote } from '../../lib/commands/quote.js';
import { bootstrapCommand, GO_MARK } from '../../lib/transport/openssh-args.js';
import { HeldInput, PidFilter } from '../../lib/transport/openssh-marks.js';

/**
 * The OpenSSH transport's pty protocol (openssh.ts execPty) without ssh: the bootstrap on a fresh pty in its
 * default cooked mode with echo on, as sshd gives a direct client (util-linux `script`, stdin a pipe). Through
 * a master the pty may start in other modes; the bootstrap must not depend on them.
 */
async function onPty(command: string, input: string): Promise<{ out: string; code: number | null; pid?: number }> {
  const body = Buffer.from(command, 'utf8');
  const boot = `/bin/sh -c ${quote(bootstrapCommand(body.length, true))}`;
  const child = spawn('script', ['-qfec', boot, '/dev/null'], { env: { ...process.env, SHELL: '/bin/sh' } });
  const held = new HeldInput(child.stdin);
  let out = '';
  const onMark = (m: string) => (m === GO_MARK ? held.open() : void child.stdin.write(body));
  const f = new PidFilter((c) => (out += c.toString('latin1')), { pty: true, onMark });
  child.stdout.on('data', (d: Buffer) => f.push(d));
  held.write(input);
  const code = await new Promise<number | null>((res) => child.on('close', res));
  f.end();
  return { out, code, ...(f.pid ? { pid: f.pid } : {}) };
}

describe('the pty bootstrap on a real pty (cooked, echo on)', () => {
  it('reads the command raw, echoes nothing fab writes, no \\r, then the modes of ssh2', async () => {
    const text = `${'x'.repeat(6000)}\x03\x04\r\x15end`;
    const modes = 'stty -a | tr " ;" "\\n\\n" | grep -xE -- "-?(echo|onlcr|icanon|isig)" | LC_ALL=C sort';
    const cmd = [
      `printf %s '${text}' | od -An -c | tr -s ' x*' ' ' | tail -2 | tr -d '\\n'; echo`,
      'read a; read b; echo "got $a/$b"; echo err >&2; stty size',
      modes,
      'exit 3',
    ].join('\n');
    const r = await onPty(cmd, 'sec ret\n~.\n');
    expect(r.code).toBe(3);
    expect(r.pid).toBeGreaterThan(1);
    const [bytes, ...rest] = r.out.split('\n');
    expect(bytes!.replace(/\s+/g, ' ').trim()).toBe('003 004 \\r 025 e n d');
    expect(rest.join('\n')).toBe('got sec ret/~.\nerr\n24 200\n-echo\n-onlcr\nicanon\nisig\n');
    expect(r.out).not.toContain('\r');
  });
});
