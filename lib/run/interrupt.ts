import { setMaxListeners } from 'node:events';

/**
 * Ctrl-C, in steps. A rolling run registers a graceful handler: the first Ctrl-C lets the hosts in
 * progress finish their steps (through undrain) and starts no more. Otherwise, or on the next
 * Ctrl-C, commands are stopped and connections closed (the hard abort); one more exits at once.
 */
export class Interrupts {
  readonly hard = new AbortController();
  private count = 0;
  private readonly gracefulHandlers = new Set<() => void>();

  constructor() {
    // Every running command and pending connect listens for the abort: -P over many hosts is not a leak.
    setMaxListeners(0, this.hard.signal);
  }

  get signal(): AbortSignal {
    return this.hard.signal;
  }

  graceful(handler: () => void): () => void {
    this.gracefulHandlers.add(handler);
    return () => this.gracefulHandlers.delete(handler);
  }

  /** Set by SIGTERM/SIGHUP: the exit code the run ends with (128 + signal number). */
  exitCode: number | undefined;

  /**
   * SIGTERM (a CI timeout) or SIGHUP (a closed terminal): like a second Ctrl-C, at once. Commands are
   * stopped, connections closed, the journal and the summary written; fab exits 143 or 129.
   */
  terminate(signal: 'SIGTERM' | 'SIGHUP'): 'abort' | 'exit' {
    this.exitCode ??= signal === 'SIGTERM' ? 143 : 129;
    this.count = Math.max(this.count, 1);
    if (this.hard.signal.aborted) return 'exit';
    this.hard.abort();
    return 'abort';
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
