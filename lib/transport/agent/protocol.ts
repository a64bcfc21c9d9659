/**
 * The fab agent's wire format: one frame = u32 header length, u32 payload length (big endian), the
 * header as JSON, then the payload bytes (command output, stdin, file contents). Errors cross it as
 * plain fields and come back as the same classes, so a run reads the same with or without the agent.
 */
import {
  ConnectError,
  ConnectionLostError,
  HostKeyError,
  type ConnectFailure,
  type HostKeyProblem,
} from '../../errors.js';

/** Every message names its type; `id` ties replies and channel traffic to a request. */
export interface Header {
  t: string;
  id?: number;
  [field: string]: unknown;
}

export interface Frame {
  header: Header;
  payload: Buffer;
}

/** A header bigger than this is a broken or hostile peer, not a message. */
export const MAX_HEADER = 1 << 20;
/** Payloads are output chunks and small files; file transfers go by path, not through the socket. */
export const MAX_PAYLOAD = 64 << 20;

export function encodeFrame(header: Header, payload?: Buffer): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const head = Buffer.alloc(8);
  head.writeUInt32BE(json.length, 0);
  head.writeUInt32BE(payload?.length ?? 0, 4);
  return payload?.length ? Buffer.concat([head, json, payload]) : Buffer.concat([head, json]);
}

export class ProtocolError extends Error {
  override name = 'ProtocolError';
}

/** Splits a byte stream into frames, whatever the chunk boundaries. */
export class FrameDecoder {
  private buf: Buffer = Buffer.alloc(0);

  push(chunk: Buffer): Frame[] {
    this.buf = this.buf.length ? Buffer.concat([this.buf, chunk]) : chunk;
    const frames: Frame[] = [];
    while (this.buf.length >= 8) {
      const hlen = this.buf.readUInt32BE(0);
      const plen = this.buf.readUInt32BE(4);
      if (hlen > MAX_HEADER || plen > MAX_PAYLOAD) throw new ProtocolError(`frame too large (${hlen}+${plen})`);
      if (this.buf.length < 8 + hlen + plen) break;
      const parsed: unknown = JSON.parse(this.buf.subarray(8, 8 + hlen).toString('utf8'));
      if (!parsed || typeof parsed !== 'object' || typeof (parsed as Header).t !== 'string')
        throw new ProtocolError('frame header without a type');
      frames.push({ header: parsed as Header, payload: Buffer.from(this.buf.subarray(8 + hlen, 8 + hlen + plen)) });
      this.buf = this.buf.subarray(8 + hlen + plen);
    }
    return frames;
  }
}

/** An error as it crosses the socket: its class and the fields the rest of fab reads. */
export interface WireError {
  name: string;
  message: string;
  host?: string;
  target?: string;
  reason?: string;
  kind?: ConnectFailure;
  problem?: HostKeyProblem;
  offered?: string;
  known?: string[];
  files?: string[];
  code?: string;
}

export function toWire(err: unknown): WireError {
  if (err instanceof HostKeyError) {
    const { host, target, problem, offered, known, files } = err;
    return { name: err.name, message: err.message, host, target, problem, offered, known, files };
  }
  if (err instanceof ConnectError) {
    const { host, target, reason, kind } = err;
    return { name: err.name, message: err.message, host, target, reason, kind };
  }
  if (err instanceof ConnectionLostError) {
    const { host, target, reason } = err;
    return { name: err.name, message: err.message, host, target, reason };
  }
  const e = err as Error & { code?: unknown };
  const code = typeof e?.code === 'string' ? { code: e.code } : {};
  return { name: 'Error', message: e instanceof Error ? e.message : String(err), ...code };
}

export function fromWire(w: WireError): Error {
  const s = (v: string | undefined): string => v ?? '';
  switch (w.name) {
    case 'HostKeyError':
      return new HostKeyError(
        s(w.host),
        s(w.target),
        w.problem ?? 'unknown',
        s(w.offered),
        w.known ?? [],
        w.files ?? [],
      );
    case 'ConnectError':
      return new ConnectError(s(w.host), s(w.target), s(w.reason), w.kind ?? 'other', w.message);
    case 'ConnectionLostError':
      return new ConnectionLostError(s(w.host), s(w.target), s(w.reason));
    default:
      return Object.assign(new Error(w.message), w.code ? { code: w.code } : {});
  }
}
