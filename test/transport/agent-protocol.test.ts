import { describe, expect, it } from 'vitest';
import { ConnectError, ConnectionLostError, HostKeyError } from '../../lib/errors.js';
import {
  encodeFrame,
  FrameDecoder,
  fromWire,
  MAX_HEADER,
  ProtocolError,
  toWire,
  type Frame,
} from '../../lib/transport/agent/protocol.js';

const frames: Frame[] = [
  { header: { t: 'hello', id: 1 }, payload: Buffer.alloc(0) },
  { header: { t: 'out', id: 7 }, payload: Buffer.from('line one\nline two\n') },
  { header: { t: 'exec', id: 8, key: 'ab12', command: "echo 'é' \u0000 \\n" }, payload: Buffer.alloc(0) },
  { header: { t: 'stdin', id: 8 }, payload: Buffer.from([0, 255, 10, 13, 0]) },
  { header: { t: 'exit', id: 8, code: null, signal: 'TERM' }, payload: Buffer.alloc(0) },
];
const wire = Buffer.concat(frames.map((f) => encodeFrame(f.header, f.payload)));

describe('agent protocol: length-prefixed JSON header + binary payload', () => {
  it('encodes the header length, the payload length, the JSON, then the bytes', () => {
    const b = encodeFrame({ t: 'x', id: 2 }, Buffer.from('ab'));
    const json = '{"t":"x","id":2}';
    expect(b.readUInt32BE(0)).toBe(json.length);
    expect(b.readUInt32BE(4)).toBe(2);
    expect(b.subarray(8).toString()).toBe(`${json}ab`);
  });

  it.each([
    ['all at once', [wire.length]],
    ['a byte at a time', Array.from({ length: wire.length }, () => 1)],
    ['in chunks of 7', Array.from({ length: Math.ceil(wire.length / 7) }, () => 7)],
    ['split inside the length prefix', [3, 6, wire.length]],
  ])('decodes the same frames whatever the chunking: %s', (_how, sizes) => {
    const d = new FrameDecoder();
    const got: Frame[] = [];
    let at = 0;
    for (const n of sizes) {
      got.push(...d.push(wire.subarray(at, at + n)));
      at += n;
      if (at >= wire.length) break;
    }
    expect(got).toEqual(frames);
  });

  it.each<[string, Buffer, RegExp]>([
    ['a header too large', Buffer.from([...u32(MAX_HEADER + 1), ...u32(0)]), /frame too large/],
    ['a header without a type', encodeFrame({ id: 1 } as never), /without a type/],
  ])('refuses %s', (_what, bytes, message) => {
    expect(() => new FrameDecoder().push(bytes)).toThrow(ProtocolError);
    expect(() => new FrameDecoder().push(bytes)).toThrow(message);
  });
});

describe('agent protocol: errors come back as the same classes with the same fields', () => {
  const back = (e: Error) => fromWire(JSON.parse(JSON.stringify(toWire(e))));

  it('HostKeyError keeps the fingerprints and files', () => {
    const e = new HostKeyError(
      'web1',
      '[10.0.0.1]:2222',
      'changed',
      'ED25519 SHA256:new',
      ['ED25519 SHA256:old (kh:3)'],
      ['/kh'],
    );
    const b = back(e) as HostKeyError;
    expect(b).toBeInstanceOf(HostKeyError);
    expect([b.host, b.target, b.problem, b.offered, b.known, b.files, b.kind]).toEqual([
      'web1',
      '[10.0.0.1]:2222',
      'changed',
      'ED25519 SHA256:new',
      ['ED25519 SHA256:old (kh:3)'],
      ['/kh'],
      'host-key',
    ]);
    expect(b.message).toBe(e.message);
  });

  it.each(['auth', 'refused', 'timeout', 'config'] as const)('ConnectError of kind %s', (kind) => {
    const b = back(new ConnectError('web2', 'u@h:22', 'why', kind)) as ConnectError;
    expect(b).toBeInstanceOf(ConnectError);
    expect(b).not.toBeInstanceOf(HostKeyError);
    expect([b.host, b.target, b.reason, b.kind, b.retryable]).toEqual([
      'web2',
      'u@h:22',
      'why',
      kind,
      !['auth', 'config'].includes(kind),
    ]);
  });

  it('ConnectionLostError, and a file error keeps its errno code', () => {
    const lost = back(new ConnectionLostError('web3', 'u@h:22', 'the connection closed')) as ConnectionLostError;
    expect(lost).toBeInstanceOf(ConnectionLostError);
    expect(lost.message).toBe('[web3] lost the connection to u@h:22: the connection closed');
    const file = back(Object.assign(new Error('/x: No such file'), { code: 'ENOENT' }));
    expect([file.message, (file as Error & { code?: string }).code]).toEqual(['/x: No such file', 'ENOENT']);
  });
});

function u32(n: number): number[] {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return [...b];
}
