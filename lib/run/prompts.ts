import { AbortError, UsageError } from '../errors.js';

/**
 * prompt/confirm for fabfiles (Fabric's `prompt` and `contrib.console.confirm`). An answer is asked
 * once per run and shared by every host (parallel hosts wait for the same answer), unless `perHost`.
 * Without a terminal nothing waits: `--set KEY=VALUE` answers a prompt with a key, `--yes` a
 * confirmation, a default answers itself, and anything else fails at once, saying how to answer it.
 */

export type Validate = RegExp | ((answer: string) => string | boolean | void);

export interface PromptOptions {
  /** Lets `--set KEY=VALUE` answer the prompt without a terminal (and on one). */
  key?: string;
  default?: string;
  validate?: Validate;
  /** Not echoed, and masked in all output (passwords). */
  hidden?: boolean;
  /** Ask for each host instead of once per run. */
  perHost?: boolean;
}

export interface ConfirmOptions {
  default?: boolean;
  perHost?: boolean;
}

/** Reads one line on the operator's terminal. */
export type Ask = (question: string, hidden: boolean) => Promise<string>;

export interface PromptsConfig {
  /** Absent when there is no terminal (or with --abort-on-prompts). */
  ask?: Ask;
  yes: boolean;
  /** From --set. */
  answers: Readonly<Record<string, string>>;
  /** Called with hidden answers so the event stream masks them. */
  secret?: (value: string) => void;
  /** Where re-ask messages go (stderr). */
  say?: (text: string) => void;
}

/** The message of a failed validation, or undefined when the answer is fine. */
export function validationError(answer: string, v: Validate | undefined): string | undefined {
  if (!v) return undefined;
  if (v instanceof RegExp) return v.test(answer) ? undefined : `the answer must match ${v}`;
  const r = v(answer);
  if (r === false) return 'that answer is not valid';
  return typeof r === 'string' ? r : undefined;
}

export class Prompts {
  private readonly asked = new Map<string, Promise<unknown>>();
  /** One question on the terminal at a time. */
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly c: PromptsConfig) {}

  get interactive(): boolean {
    return this.c.ask !== undefined;
  }

  prompt(question: string, opts: PromptOptions = {}, host?: string): Promise<string> {
    return this.once(`p\0${opts.perHost ? host : ''}\0${question}`, () =>
      this.askPrompt(question, opts, opts.perHost ? host : undefined),
    );
  }

  confirm(question: string, opts: ConfirmOptions = {}, host?: string): Promise<boolean> {
    return this.once(`c\0${opts.perHost ? host : ''}\0${question}`, () =>
      this.askConfirm(question, opts, opts.perHost ? host : undefined),
    );
  }

  private once<T>(key: string, fn: () => Promise<T>): Promise<T> {
    let p = this.asked.get(key) as Promise<T> | undefined;
    if (!p) {
      p = fn();
      this.asked.set(key, p);
    }
    return p;
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const next = this.queue.then(fn, fn);
    this.queue = next.catch(() => undefined);
    return next;
  }

  private async askPrompt(question: string, o: PromptOptions, host?: string): Promise<string> {
    const label = host ? `[${host}] ${question}` : question;
    const given = o.key !== undefined ? this.c.answers[o.key] : undefined;
    const checked = (answer: string, source: string): string => {
      const bad = validationError(answer, o.validate);
      if (bad)
        throw new UsageError(
          `prompt "${question}": ${source} ${o.hidden ? '(hidden)' : JSON.stringify(answer)}: ${bad}`,
          o.key ? `pass --set ${o.key}=VALUE with a valid value` : 'answer with a valid value',
        );
      if (o.hidden) this.c.secret?.(answer);
      return answer;
    };
    if (given !== undefined) return checked(given, `--set ${o.key}=`);
    const ask = this.c.ask;
    if (!ask) {
      if (o.default !== undefined) return checked(o.default, 'the default');
      const how = o.key
        ? `pass --set ${o.key}=VALUE`
        : `give the prompt a key (prompt(question, { key: 'name' })) and pass --set name=VALUE, or add a default`;
      throw new UsageError(`prompt "${label}" needs an answer and there is no terminal to ask on`, how);
    }
    return this.serial(async () => {
      for (;;) {
        const shown = `${label}${o.default !== undefined && !o.hidden ? ` [${o.default}]` : ''} `;
        const raw = (await ask(shown, o.hidden === true)).trim();
        const answer = raw === '' && o.default !== undefined ? o.default : raw;
        const bad =
          answer === '' && o.validate === undefined ? 'an answer is needed' : validationError(answer, o.validate);
        if (!bad) {
          if (o.hidden) this.c.secret?.(answer);
          return answer;
        }
        this.c.say?.(`${bad}; try again\n`);
      }
    });
  }

  private async askConfirm(question: string, o: ConfirmOptions, host?: string): Promise<boolean> {
    const label = host ? `[${host}] ${question}` : question;
    if (this.c.yes) return true;
    const ask = this.c.ask;
    if (!ask) {
      if (o.default !== undefined) return o.default;
      throw new UsageError(
        `confirmation "${label}" needs an answer and there is no terminal to ask on`,
        'pass --yes (or FAB_YES=1) to answer yes',
      );
    }
    return this.serial(async () => {
      for (;;) {
        const hint = o.default === undefined ? '[y/n]' : o.default ? '[Y/n]' : '[y/N]';
        const a = (await ask(`${label} ${hint} `, false)).trim().toLowerCase();
        if (a === '' && o.default !== undefined) return o.default;
        if (['y', 'yes'].includes(a)) return true;
        if (['n', 'no'].includes(a)) return false;
        this.c.say?.('please answer y or n\n');
      }
    });
  }
}

/** Fabric's abort(): stop the task with a message (exit 1). */
export function abort(message: string): never {
  throw new AbortError(message);
}
