import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { startProxyCommand } from '../../lib/transport/proxy-command.js';

const alive = (pid: number): boolean => {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
  } catch {
    return false;
  }
};

describe('startProxyCommand', () => {
  it('its stdin and stdout are the byte stream', async () => {
    const p = startProxyCommand('cat');
    const back = new Promise<string>((r) => p.sock.once('data', (d: Buffer) => r(d.toString())));
    p.sock.write('SSH-2.0-test\r\n');
    expect(await back).toBe('SSH-2.0-test\r\n');
    p.sock.destroy();
    await p.ended(5000);
    // cat ends on EOF or on the SIGTERM to its group, whichever comes first.
    expect(p.exitStatus()).toMatch(/^(exit 0|killed by SIGTERM)$/);
  });

  it('closing the stream stops the command and its children (process group)', async () => {
    const p = startProxyCommand("sh -c 'sleep 60 & echo $!; wait'");
    const child = Number(await new Promise<string>((r) => p.sock.once('data', (d: Buffer) => r(d.toString().trim()))));
    expect(alive(child)).toBe(true);
    p.sock.destroy();
    await p.ended(5000);
    for (let i = 0; i < 100 && alive(child); i++) await new Promise((r) => setTimeout(r, 20));
    expect(alive(child)).toBe(false);
  });

  it('reports how it ended and its stderr, and keeps fab secrets out of its environment', async () => {
    process.env.FAB_PASSWORD = 'pw-in-env';
    try {
      // OpenSSH runs `exec COMMAND` (so does fab): a status of its own needs a shell of its own.
      const p = startProxyCommand(`sh -c 'echo "env:\${FAB_PASSWORD:-none}" >&2; exit 3'`);
      await p.ended(5000);
      expect(p.exitStatus()).toBe('exit 3');
      expect(p.stderrTail()).toBe('env:none');
    } finally {
      delete process.env.FAB_PASSWORD;
    }
  });
});
