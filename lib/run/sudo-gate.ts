import type { Secret } from '../commands/quote.js';
import type { SudoMarks } from './scope.js';

export interface SudoGateIO {
  /** Write to the command's stdin (the password). */
  write(data: string): void;
  /** Stop the command: sudo failed. */
  stop(): void;
  /** sudo is done asking: `before` is sudo's own stderr, `rest` the command's first stderr. */
  open(before: string, rest: string): void;
}

/**
 * Until sudo has finished asking, stderr belongs to sudo: answer its prompt (a unique marker) once
 * with the password, refuse a second prompt, and fail at once when no password is known, instead
 * of hanging. The command's own start marker tells us sudo is done.
 */
export class SudoGate {
  opened = false;
  failure?: string;
  private pending = '';
  private passwordSent = false;
  private io?: SudoGateIO;

  constructor(
    private readonly marks: SudoMarks,
    private readonly password: Secret | undefined,
  ) {}

  /** stderr may arrive before the process handle does; it is held until `attach`. */
  attach(io: SudoGateIO): void {
    this.io = io;
    this.scan();
  }

  push(chunk: string): void {
    this.pending += chunk;
    this.scan();
  }

  /** What sudo printed when the command never started (e.g. not in sudoers). */
  leftover(): string {
    return this.pending.split(this.marks.prompt).join('');
  }

  private scan(): void {
    const io = this.io;
    if (!io || this.opened || this.failure) return;
    const startAt = this.pending.indexOf(`${this.marks.start}\n`);
    const before = startAt === -1 ? this.pending : this.pending.slice(0, startAt);
    if (before.includes(this.marks.prompt)) {
      this.pending = this.pending.replace(this.marks.prompt, '');
      if (!this.password)
        this.failure =
          'a password is required and none was given (set FAB_SUDO_PASSWORD, or run fab with --sudo-password on a terminal)';
      else if (this.passwordSent) this.failure = 'the sudo password was rejected';
      if (this.failure) return io.stop();
      this.passwordSent = true;
      io.write(`${this.password!.reveal()}\n`);
      return this.scan();
    }
    if (startAt === -1) return;
    this.opened = true;
    const rest = this.pending.slice(startAt + this.marks.start.length + 1);
    this.pending = '';
    io.open(before, rest);
  }
}
