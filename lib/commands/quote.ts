/**
 * The one quoting function of fabts. Every shell command built from user input goes through
 * `quote` or the `sh` tag, so quotes, `$()`, backticks, newlines and spaces arrive as data.
 */

let secretCount = 0;

/**
 * A value that must never be shown: displayed as `***`. In an `sh` command it is the shell variable `"$NAME"`,
 * its value sent on the command's stdin (lib/commands/secret-input.ts), so no command line carries it.
 */
export class Secret {
  readonly #value: string;
  /** The shell variable that holds it in a command: unique in the process, so joined commands never clash. */
  readonly name = `FAB_SECRET_${++secretCount}`;
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

/**
 * A command line with a display form in which secrets are masked. `secrets`: the ones `text` uses as `"$NAME"`,
 * not yet read; `input`: the ones its first stdin lines carry (`withSecretInput` put the reads in front).
 */
export interface ShellCommand {
  readonly text: string;
  readonly display: string;
  readonly secrets: readonly Secret[];
  readonly input: readonly Secret[];
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

export interface CommandSecrets {
  secrets?: readonly Secret[];
  input?: readonly Secret[];
}

export function raw(text: string, display: string = text, s: CommandSecrets = {}): ShellCommand {
  return { text, display, secrets: s.secrets ?? [], input: s.input ?? [], [SHELL]: true };
}

/** Secrets of several pieces, each once, in order. A command that already reads its input cannot be nested. */
function merge(pieces: readonly { secrets: readonly Secret[]; input?: readonly Secret[] }[]): Secret[] {
  if (pieces.some((p) => p.input?.length))
    throw new TypeError('a command that reads secrets from its stdin cannot be nested in another command');
  return [...new Set(pieces.flatMap((p) => p.secrets))];
}

export type Interpolation = string | number | Secret | ShellCommand | readonly (string | number | Secret)[];

interface Piece {
  text: string;
  display: string;
  secrets: readonly Secret[];
  input?: readonly Secret[];
}

function piece(value: Interpolation): Piece {
  if (isShellCommand(value)) return value;
  if (value instanceof Secret) return { text: `"$${value.name}"`, display: '***', secrets: [value] };
  if (Array.isArray(value)) {
    const parts = value.map((v) => piece(v as string | number | Secret));
    const text = parts.map((p) => p.text).join(' ');
    return { text, display: parts.map((p) => p.display).join(' '), secrets: merge(parts) };
  }
  const q = quote(value as string | number);
  return { text: q, display: q, secrets: [] };
}

/**
 * Tagged template: `sh\`mv -f ${a} ${b}\`` quotes every interpolated value.
 * Arrays become several quoted words; a nested `sh` command is inserted as is; a Secret becomes `"$FAB_SECRET_n"`
 * in `text` (its value goes on stdin: see secret-input.ts) and `***` in `display`.
 */
export function sh(strings: TemplateStringsArray, ...values: Interpolation[]): ShellCommand {
  let text = strings[0] ?? '';
  let display = text;
  const pieces = values.map((value, i) => {
    const p = piece(value);
    const tail = strings[i + 1] ?? '';
    text += p.text + tail;
    display += p.display + tail;
    return p;
  });
  return raw(text, display, { secrets: merge(pieces) });
}

/** Join commands with a separator, keeping display forms and secrets. */
export function join(commands: readonly ShellCommand[], separator: string): ShellCommand {
  const text = commands.map((c) => c.text).join(separator);
  return raw(text, commands.map((c) => c.display).join(separator), { secrets: merge(commands) });
}

/** Accept either a plain string (the user's own shell text, taken as written) or a built command. */
export function toCommand(cmd: string | ShellCommand): ShellCommand {
  return typeof cmd === 'string' ? raw(cmd) : cmd;
}
