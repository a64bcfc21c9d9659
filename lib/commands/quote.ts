/**
 * The one quoting function of fabts. Every shell command built from user input goes through
 * `quote` or the `sh` tag, so quotes, `$()`, backticks, newlines and spaces arrive as data.
 */

/** A value that must never be shown: it is sent as-is but displayed as `***`. */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toString(): string {
    return '***';
  }
  toJSON(): string {
    return '***';
  }
}

export const secret = (value: string): Secret => new Secret(value);

/** A command line with a display form in which secrets are masked. */
export interface ShellCommand {
  readonly text: string;
  readonly display: string;
  readonly [SHELL]: true;
}
const SHELL = Symbol('fabts.shell');

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** Quote one word for POSIX sh: safe words stay bare, everything else goes in single quotes. */
export function quote(value: string | number): string {
  const s = String(value);
  if (s !== '' && SAFE.test(s)) return s;
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

export function isShellCommand(value: unknown): value is ShellCommand {
  return typeof value === 'object' && value !== null && SHELL in value;
}

export function raw(text: string, display: string = text): ShellCommand {
  return { text, display, [SHELL]: true };
}

export type Interpolation = string | number | Secret | ShellCommand | readonly (string | number | Secret)[];

function piece(value: Interpolation): { text: string; display: string } {
  if (isShellCommand(value)) return { text: value.text, display: value.display };
  if (value instanceof Secret) return { text: quote(value.reveal()), display: '***' };
  if (Array.isArray(value)) {
    const parts = value.map((v) => piece(v as string | number | Secret));
    return { text: parts.map((p) => p.text).join(' '), display: parts.map((p) => p.display).join(' ') };
  }
  const q = quote(value as string | number);
  return { text: q, display: q };
}

/**
 * Tagged template: `sh\`mv -f ${a} ${b}\`` quotes every interpolated value.
 * Arrays become several quoted words; a nested `sh` command is inserted as is; a Secret is masked in `display`.
 */
export function sh(strings: TemplateStringsArray, ...values: Interpolation[]): ShellCommand {
  let text = strings[0] ?? '';
  let display = text;
  values.forEach((value, i) => {
    const p = piece(value);
    const tail = strings[i + 1] ?? '';
    text += p.text + tail;
    display += p.display + tail;
  });
  return raw(text, display);
}

/** Join commands with a separator, keeping display forms. */
export function join(commands: readonly ShellCommand[], separator: string): ShellCommand {
  return raw(commands.map((c) => c.text).join(separator), commands.map((c) => c.display).join(separator));
}

/** Accept either a plain string (the user's own shell text, taken as written) or a built command. */
export function toCommand(cmd: string | ShellCommand): ShellCommand {
  return typeof cmd === 'string' ? raw(cmd) : cmd;
}
