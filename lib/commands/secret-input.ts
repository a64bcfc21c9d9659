/**
 * How a `secret()` reaches a command without being on a command line `ps` shows: the command starts by reading
 * each value from one line of its stdin into a shell variable (`IFS= read -r FAB_SECRET_n`; sh reads a pipe
 * byte by byte, so the user's stdin after those lines is intact), and uses it as `"$FAB_SECRET_n"`.
 */
import { raw, type Secret, type ShellCommand } from './quote.js';

/** Exit status of a command whose secrets never arrived (its stdin closed early): it does not run. */
export const NO_SECRET_EXIT = 125;

/** `IFS= read -r FAB_SECRET_1 && ... || exit 125; `: what a command that takes `secrets` on its stdin starts with. */
export function secretReads(secrets: readonly Secret[]): string {
  return `${secrets.map((s) => `IFS= read -r ${s.name}`).join(' && ')} || exit ${NO_SECRET_EXIT}; `;
}

/** `IFS= read -r FAB_SECRET_1 && ... || exit 125; CMD`: the reads go in front; the values are then `input`. */
export function withSecretInput(cmd: ShellCommand): ShellCommand {
  if (!cmd.secrets.length) return cmd;
  const reads = secretReads(cmd.secrets);
  return raw(reads + cmd.text, reads + cmd.display, { input: [...cmd.input, ...cmd.secrets] });
}

/** What the stdin lines and their checks need of a command (zx's `$` builds its own text). */
type SecretsOf = Pick<ShellCommand, 'input' | 'display'>;

/** A pty's line discipline reads at most 4095 bytes a line. */
const PTY_LINE_MAX = 4095;
// A tab is plain text to a pty; every other control character may be a key (Ctrl-C, Ctrl-U, CR -> NL...).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/** The stdin lines that carry `cmd.input`, in order (check them with `secretProblem` first). */
export function secretStdin(cmd: Pick<ShellCommand, 'input'>): string {
  return cmd.input.map((s) => `${s.reveal()}\n`).join('');
}

/** Why a value cannot go on one stdin line, and the fix: the caller throws it as a UsageError. */
export interface SecretProblem {
  message: string;
  fix: string;
}

/**
 * A value must fit on one line; under a pty the terminal would also act on control characters (Ctrl-C, erase...)
 * and cut long lines, so those are refused there.
 */
export function secretProblem(cmd: SecretsOf, opts: { pty: boolean }): SecretProblem | undefined {
  for (const [i, s] of cmd.input.entries()) {
    const p = problem(s.reveal(), opts.pty);
    if (p) return { message: `secret() #${i + 1} of \`${cmd.display}\` ${p.message}`, fix: p.fix };
  }
  return undefined;
}

const ONE_LINE =
  "pass a multi-line value as the command's own stdin (.stdin(value)) or in a 0600 file (put with mode 0o600)";
const NO_PTY = 'run this command without pty: true, or pass the value as its stdin (.stdin(value))';

function problem(value: string, pty: boolean): SecretProblem | undefined {
  if (/[\n\0]/.test(value)) {
    const what = value.includes('\0') ? 'NUL byte' : 'newline';
    return { message: `contains a ${what}: a secret reaches the command as one line of its stdin`, fix: ONE_LINE };
  }
  if (pty && CONTROL.test(value))
    return { message: 'contains a control character, which a pty (pty: true) would act on', fix: NO_PTY };
  const bytes = Buffer.byteLength(value);
  if (pty && bytes > PTY_LINE_MAX)
    return { message: `is ${bytes} bytes; a pty (pty: true) reads at most ${PTY_LINE_MAX} bytes a line`, fix: NO_PTY };
  return undefined;
}
