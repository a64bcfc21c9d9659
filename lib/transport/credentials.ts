import type { Secret } from '../commands/quote.js';

/** Asks one question on the terminal without echo. */
export type AskHidden = (question: string) => Promise<string>;

export interface CredentialOptions {
  /** FAB_PASSWORD, or the answer to -I's prompt */
  password?: Secret;
  /** -p/-I/FAB_PASSWORD: offer password and keyboard-interactive logins */
  passwordAuth: boolean;
  /** FAB_KEY_PASSPHRASE: tried for every passphrase-protected key */
  keyPassphrase?: Secret;
  /** Present only on a terminal (and without --abort-on-prompts). */
  ask?: AskHidden;
  /** Registers a value to be masked in all output (EventBus.addSecret). */
  addSecret(value: string): void;
}

/**
 * The login password and key passphrases of a run, shared by every host: each is asked at most once
 * (parallel hosts wait for the one answer), and questions never overlap on the terminal.
 */
export class Credentials {
  private passwordAnswer?: Promise<string | undefined>;
  private readonly passphrases = new Map<string, Promise<string>>();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: CredentialOptions) {}

  get passwordAuth(): boolean {
    return this.o.passwordAuth || this.o.password !== undefined;
  }

  get canAsk(): boolean {
    return this.o.ask !== undefined;
  }

  /** The login password: given, or asked once; undefined when password logins are off or nobody can answer. */
  password(user: string): Promise<string | undefined> {
    if (!this.passwordAuth) return Promise.resolve(undefined);
    if (this.o.password) return Promise.resolve(this.o.password.reveal());
    const ask = this.o.ask;
    if (!ask) return Promise.resolve(undefined);
    return (this.passwordAnswer ??= this.serial(() => ask(`password for ${user}: `)).then((a) => this.keep(a)));
  }

  /** FAB_KEY_PASSPHRASE, when set: tried before asking. */
  get givenPassphrase(): string | undefined {
    return this.o.keyPassphrase?.reveal();
  }

  /**
   * The passphrase of `keyFile`, asked once per key. `check` says whether an answer decrypts it;
   * a wrong answer is asked again (3 tries), so a typo does not fail every host.
   */
  passphrase(keyFile: string, check: (p: string) => boolean): Promise<string> | undefined {
    const ask = this.o.ask;
    if (!ask) return undefined;
    let p = this.passphrases.get(keyFile);
    if (!p) {
      p = this.serial(async () => {
        for (let i = 0; i < 3; i++) {
          const answer = await ask(i ? `wrong passphrase, again for ${keyFile}: ` : `passphrase for key ${keyFile}: `);
          if (check(answer)) return this.keep(answer);
        }
        throw new Error(`3 wrong passphrases for key ${keyFile}`);
      });
      this.passphrases.set(keyFile, p);
    }
    return p;
  }

  private keep(answer: string): string {
    this.o.addSecret(answer);
    return answer;
  }

  /** One question at a time on the terminal. */
  private serial<T>(f: () => Promise<T>): Promise<T> {
    const next = this.queue.then(f, f);
    this.queue = next.catch(() => undefined);
    return next;
  }
}
