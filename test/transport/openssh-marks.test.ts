import { PassThrough } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { HeldInput, PidFilter } from '../../lib/transport/openssh-marks.js';

const run = (chunks: string[], pty: boolean) => {
  let out = '';
  const marks: string[] = [];
  const f = new PidFilter((c) => (out += c.toString()), { pty, onMark: (m) => marks.push(`${m}@${out.length}`) });
  for (const c of chunks) f.push(Buffer.from(c));
  f.end();
  return { out, pid: f.pid, marks };
};

describe('PidFilter: the bootstrap pid line leaves stderr, nothing else does', () => {
  it.each<[string, string[], string, number | undefined]>([
    ['alone', ['fab-pid:42\n'], '', 42],
    ['then output', ['fab-pid:42\nerr\n'], 'err\n', 42],
    ['split over chunks', ['fab-', 'pid:4', '2\nx', 'y\n'], 'xy\n', 42],
    ['after rc-file noise', ['motd\nfab-pid:7\nerr'], 'motd\nerr', 7],
    ['never printed', ['just stderr'], 'just stderr', undefined],
    ['a later marker is data', ['fab-pid:1\nfab-pid:2\n'], 'fab-pid:2\n', 1],
    ['fab-go is data without a pty', ['fab-pid:1\nfab-go\n'], 'fab-go\n', 1],
  ])('%s', (_name, chunks, want, pid) => {
    const r = run(chunks, false);
    expect(r.out).toBe(want);
    expect(r.pid).toBe(pid);
    expect(r.marks).toEqual(pid === undefined ? [] : [expect.stringMatching(/^fab-pid:@/)]);
  });
});

describe('PidFilter under a pty: the pid and go lines leave stdout, in order, each told once', () => {
  it.each<[string, string[], string, string[]]>([
    ['both in one chunk', ['fab-pid:42\nfab-go\nroot\n'], 'root\n', ['fab-pid:@0', 'fab-go@0']],
    ['split anywhere', ['fab-p', 'id:42', '\nfab-', 'g', 'o\nro', 'ot\n'], 'root\n', ['fab-pid:@0', 'fab-go@0']],
    ['rc-file noise first', ['hello\r\nfab-pid:42\n', 'fab-go\nx'], 'hello\r\nx', ['fab-pid:@7', 'fab-go@7']],
    ['go never printed (stty failed)', ['fab-pid:42\nstty: bad\n'], 'stty: bad\n', ['fab-pid:@0']],
    ['a later go is data', ['fab-pid:42\nfab-go\nfab-go\n'], 'fab-go\n', ['fab-pid:@0', 'fab-go@0']],
  ])('%s', (_name, chunks, want, marks) => {
    const r = run(chunks, true);
    expect(r.out).toBe(want);
    expect(r.pid).toBe(42);
    expect(r.marks).toEqual(marks);
  });

  it('waits past 64 KiB of rc-file noise under a pty (nothing may be written before the pid line)', () => {
    const noise = 'n'.repeat(70 * 1024);
    let out = '';
    const f = new PidFilter((c) => (out += c.toString()), { pty: true });
    f.push(Buffer.from(noise));
    expect(out).toBe('');
    f.push(Buffer.from('fab-pid:5\nfab-go\nok'));
    expect([out.length, out.endsWith('ok'), f.pid]).toEqual([noise.length + 2, true, 5]);
    const plain = new PidFilter(() => undefined);
    plain.push(Buffer.from(noise));
    plain.push(Buffer.from('fab-pid:5\n'));
    expect(plain.pid).toBeUndefined(); // without a pty it gave up and passed the output on
  });
});

describe('HeldInput', () => {
  it('holds writes and the end until opened, then passes them in order; after that, at once', async () => {
    const to = new PassThrough();
    const got: string[] = [];
    to.on('data', (c: Buffer) => got.push(c.toString()));
    const ended = new Promise((res) => to.on('end', res));
    const h = new HeldInput(to);
    h.write('secret\n');
    h.write(Buffer.from('stdin'));
    h.end();
    await new Promise((res) => setImmediate(res));
    expect(got).toEqual([]);
    h.open();
    await ended;
    expect(got.join('')).toBe('secret\nstdin');
  });

  it('writes at once once open', async () => {
    const to = new PassThrough();
    const h = new HeldInput(to);
    h.open();
    h.write('a');
    expect(to.read()?.toString()).toBe('a');
  });
});
