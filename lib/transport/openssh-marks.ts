/**
 * The OpenSSH transport's side of its bootstrap (openssh-args.ts): the marker lines it prints are taken
 * out of the output, and under a pty the input waits until the terminal is set up for it.
 */
import { GO_MARK, PID_MARK } from './openssh-args.js';

/** Output before the pid line (a chatty rc file) is passed on once this much arrived without it. */
const PID_SEARCH_LIMIT = 64 * 1024;

/**
 * Takes the bootstrap's `fab-pid:N` line (and under a pty the `fab-go` line after it) out of a stream;
 * everything else passes through in order. `onMark` is told each marker as it is found.
 */
export class PidFilter {
  pid?: number;
  private pending: Buffer | undefined = Buffer.alloc(0);
  private readonly marks: string[];

  constructor(
    private readonly out: (chunk: Buffer) => void,
    private readonly opts: { pty?: boolean; onMark?: (mark: string) => void } = {},
  ) {
    this.marks = opts.pty ? [PID_MARK, GO_MARK] : [PID_MARK];
  }

  push(chunk: Buffer): void {
    if (!this.pending) return this.out(chunk);
    this.pending = Buffer.concat([this.pending, chunk]);
    for (;;) {
      const mark = this.marks[0];
      if (mark === undefined) return this.end();
      const at = this.pending.indexOf(mark);
      const nl = at === -1 ? -1 : this.pending.indexOf(10, at);
      if (nl === -1) break;
      const value = this.pending.subarray(at + mark.length, nl).toString('latin1');
      if (mark === PID_MARK && /^\d+$/.test(value)) this.pid = Number(value);
      const before = this.pending.subarray(0, at);
      this.pending = this.pending.subarray(nl + 1);
      if (before.length) this.out(before);
      this.marks.shift();
      this.opts.onMark?.(mark);
    }
    // Under a pty nothing is written before the markers (the terminal would echo it): keep waiting.
    if (!this.opts.pty && this.pending.length > PID_SEARCH_LIMIT) this.end();
  }

  end(): void {
    const rest = this.pending;
    this.pending = undefined;
    if (rest?.length) this.out(rest);
  }
}

/** Input for a stream that may not be written yet: held in order until open(). */
export class HeldInput {
  private held: (Buffer | 'end')[] | undefined = [];
  constructor(private readonly to: NodeJS.WritableStream) {}

  write(data: string | Buffer): void {
    const b = typeof data === 'string' ? Buffer.from(data, 'utf8') : data;
    if (this.held) this.held.push(b);
    else this.to.write(b);
  }

  end(): void {
    if (this.held) this.held.push('end');
    else this.to.end();
  }

  open(): void {
    const held = this.held ?? [];
    this.held = undefined;
    for (const h of held) {
      if (h === 'end') this.to.end();
      else this.to.write(h);
    }
  }
}
