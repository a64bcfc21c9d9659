/** 1 MiB: the longest line shown whole; beyond it the line ends in `[... N bytes]`. */
export const DISPLAY_LINE_LIMIT = 1024 * 1024;

/**
 * Splits a byte stream into whole lines in linear time: only each new chunk is searched for
 * newlines, and a partial line is kept as pieces, joined once when its newline arrives. A line
 * longer than `maxLine` characters is cut for display: its head is shown, the rest counted in bytes.
 * `flush` gives the last partial line at exit.
 */
export class LineSplitter {
  private pieces: string[] = [];
  private pending = 0;
  private droppedBytes = 0;
  private readonly decoder = new TextDecoder();

  constructor(
    private readonly onLine: (line: string) => void,
    private readonly maxLine = DISPLAY_LINE_LIMIT,
  ) {}

  push(chunk: Buffer | string): void {
    const text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    let from = 0;
    let nl: number;
    while ((nl = text.indexOf('\n', from)) !== -1) {
      this.add(text.slice(from, nl));
      this.emit(true);
      from = nl + 1;
    }
    if (from < text.length) this.add(from ? text.slice(from) : text);
  }

  flush(): void {
    this.add(this.decoder.decode());
    if (this.pending || this.droppedBytes) this.emit(false);
  }

  private add(s: string): void {
    if (!s) return;
    const room = this.maxLine - this.pending;
    if (room >= s.length) {
      this.pieces.push(s);
      this.pending += s.length;
      return;
    }
    if (room > 0) {
      this.pieces.push(s.slice(0, room));
      this.pending += room;
    }
    this.droppedBytes += Buffer.byteLength(room > 0 ? s.slice(room) : s);
  }

  private emit(complete: boolean): void {
    let line = this.pieces.length === 1 ? this.pieces[0]! : this.pieces.join('');
    if (this.droppedBytes) line += ` [... ${this.droppedBytes} bytes]`;
    // A CRLF line loses its CR (it was cut off with the rest of an over-long line otherwise).
    else if (complete && line.endsWith('\r')) line = line.slice(0, -1);
    this.pieces = [];
    this.pending = 0;
    this.droppedBytes = 0;
    this.onLine(line);
  }
}
