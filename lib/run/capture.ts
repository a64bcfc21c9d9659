/**
 * What a command's result keeps of its output: everything up to a bound (the `output_limit` setting),
 * then only a count of the bytes left out, so a command printing gigabytes runs in bounded memory.
 * What is shown is streamed line by line (report/lines.ts) and never kept here.
 */

/** 32 MiB: a recipe reading a config file or a listing never comes near it; a runaway `cat` does not exhaust memory. */
export const DEFAULT_OUTPUT_LIMIT = 32 * 1024 * 1024;

const TAIL_LINES = 10;

export class BoundedBuffer {
  private readonly chunks: Buffer[] = [];
  private kept = 0;
  /** Bytes received beyond the limit and not kept. */
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(chunk: Buffer): void {
    const room = this.limit - this.kept;
    if (room >= chunk.length) {
      this.chunks.push(chunk);
      this.kept += chunk.length;
      return;
    }
    if (room > 0) {
      this.chunks.push(Buffer.from(chunk.subarray(0, room)));
      this.kept += room;
    }
    this.dropped += chunk.length - Math.max(room, 0);
  }

  get cut(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    return Buffer.concat(this.chunks).toString('utf8');
  }
}

/** Lines (stderr) kept up to a limit in bytes, joined with newlines; once cut, the last lines are kept too (error messages show them). */
export class BoundedLines {
  private readonly lines: string[] = [];
  private last: string[] = [];
  private kept = 0;
  dropped = 0;

  constructor(private readonly limit: number) {}

  push(line: string): void {
    const n = Buffer.byteLength(line) + 1;
    if (this.kept + n <= this.limit) {
      this.lines.push(line);
      this.kept += n;
    } else {
      this.dropped += n;
      this.last.push(line.length > 1000 ? `${line.slice(0, 1000)} [...]` : line);
      if (this.last.length > 2 * TAIL_LINES) this.last = this.last.slice(-TAIL_LINES);
    }
  }

  get cut(): boolean {
    return this.dropped > 0;
  }

  text(): string {
    const all = this.cut
      ? [...this.lines, `[... ${this.dropped} bytes not kept; the last lines follow]`, ...this.last.slice(-TAIL_LINES)]
      : this.lines;
    return all.length ? `${all.join('\n')}\n` : '';
  }
}
