/**
 * Ctrl-C, in steps. A rolling run registers a graceful handler: the first Ctrl-C lets the hosts in
 * progress finish their steps (through undrain) and starts no more. Otherwise, or on the next
 * Ctrl-C, commands are stopped and connections closed (the hard abort); one more exits at once.
 */
export class Interrupts {
  readonly hard = new AbortController();
  private count = 0;
  private readonly gracefulHandlers = new Set<() => void>();

  get signal(): AbortSignal {
    return this.hard.signal;
  }

  graceful(handler: () => void): () => void {
    this.gracefulHandlers.add(handler);
    return () => this.gracefulHandlers.delete(handler);
  }

  interrupt(): 'graceful' | 'abort' | 'exit' {
    this.count++;
    if (this.count === 1 && this.gracefulHandlers.size) {
      for (const h of this.gracefulHandlers) h();
      return 'graceful';
    }
    if (!this.hard.signal.aborted) {
      this.hard.abort();
      return 'abort';
    }
    return 'exit';
  }
}
