import type { FabEvent, RollingState } from './events.js';

/**
 * On a terminal, a rolling run is shown as a live table kept at the bottom of the screen: batches,
 * each host's step and elapsed time, gate attempts. Other output scrolls above it. ANSI only:
 * "cursor to the start of the Nth line up" and "erase below".
 */

interface Row {
  state: RollingState;
  since: number;
  attempts: number;
  note: string;
  release?: string;
}

export class LiveRolling {
  private drawn = 0;
  private rows = new Map<string, Row>();
  private title = '';
  private batch = '';
  private timer: NodeJS.Timeout | undefined;
  private started = 0;

  constructor(private readonly out: (s: string) => void) {}

  get active(): boolean {
    return this.timer !== undefined;
  }

  /** Print text above the table. */
  print(text: string): void {
    this.clear();
    this.out(text);
    this.draw();
  }

  /** Returns true when the event was shown in the table. */
  update(e: FabEvent): boolean {
    const now = Date.now();
    switch (e.type) {
      case 'rolling.start':
        this.started = now;
        this.title =
          `Rolling run ${e.id}${e.resumed ? ' (resumed)' : ''}, ${e.batches.length} batch(es), ` +
          `hosts allowed to fail: ${e.maxFailures}`;
        for (const h of e.skipped) this.rows.set(h, { state: 'done', since: now, attempts: 0, note: 'done earlier' });
        for (const b of e.batches)
          for (const h of b) this.rows.set(h, { state: 'untouched', since: now, attempts: 0, note: '' });
        this.timer = setInterval(() => this.redraw(), 250);
        this.timer.unref();
        break;
      case 'rolling.batch':
        this.batch = `batch ${e.index}: ${e.hosts.join(', ')}`;
        break;
      case 'rolling.host': {
        const prev = this.rows.get(e.host);
        this.rows.set(e.host, {
          state: e.state,
          since: now,
          attempts: 0,
          note: e.state === 'failed' ? `at ${e.step}: ${e.detail ?? ''}` : '',
          ...((e.release ?? prev?.release) ? { release: e.release ?? prev?.release } : {}),
        });
        break;
      }
      case 'rolling.gate': {
        const r = this.rows.get(e.host);
        if (r)
          Object.assign(r, {
            attempts: e.attempt,
            note: e.ok ? `gate passed (${e.attempt})` : `gate attempt ${e.attempt}: ${e.detail}`,
          });
        break;
      }
      case 'rolling.end':
        this.stop();
        return false;
      default:
        return false;
    }
    this.redraw();
    return true;
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    this.clear();
  }

  private redraw(): void {
    this.clear();
    this.draw();
  }

  private clear(): void {
    if (this.drawn) this.out(`\x1b[${this.drawn}F\x1b[J`);
    this.drawn = 0;
  }

  private draw(): void {
    if (!this.timer) return;
    const now = Date.now();
    const w = Math.max(4, ...[...this.rows.keys()].map((h) => h.length));
    const cols = process.stdout.columns || 100;
    const lines = [
      `${this.title}  ${((now - this.started) / 1000).toFixed(1)}s  ${this.batch}`,
      ...[...this.rows].map(([h, r]) => {
        const busy = !['untouched', 'done', 'failed'].includes(r.state);
        const elapsed = busy ? `${((now - r.since) / 1000).toFixed(1)}s`.padStart(6) : '      ';
        const notes = [r.release ? `release ${r.release}` : '', r.note].filter(Boolean).join('  ');
        return `  ${h.padEnd(w)}  ${r.state.padEnd(12)} ${elapsed}  ${notes}`;
      }),
    ].map((l) => (l.length > cols - 1 ? `${l.slice(0, cols - 2)}…` : l));
    this.out(`${lines.join('\n')}\n`);
    this.drawn = lines.length;
  }
}
