/**
 * How a `secret()` reaches a command without being on a command line `ps` shows: the command starts by reading
 * each value from one line of its stdin into a shell variable (`IFS= read -r FAB_SECRET_n`; sh reads a pipe
 * byte by byte, so the user's stdin after those lines is intact), and uses it as `"$FAB_SECRET_n"`.
 */
import { UsageError } from '../errors.js';
import { raw, type Secret, type ShellCommand } from './quote.js';

/** Exit status of a command whose secrets never arrived (its stdin closed early): it does not run. */
export const NO_SECRET_EXIT = 125;

/** `IFS= read -r FAB_SECRET_1 && ... || exit 125; CMD`: the reads go in front; the values are then `input`. */
export function withSecretInput(cmd: ShellCommand): ShellCommand {
  if (!cmd.secrets.length) return cmd;
  const reads = `${cmd.secrets.map((s) => `IFS= read -r ${s.name}`).join(' && ')} || exit ${NO_SECRET_EXIT}; `;
  return raw(reads + cmd.text, reads + cmd.display, { input: [...cmd.input, ...cmd.secrets] });
}

/** A pty's line discipline reads at most 4095 bytes a line. */
const PTY_LINE_MAX = 4095;
// A tab is plain text to a pty; every other control character may be a key (Ctrl-C, Ctrl-U, CR -> NL...).
const CONTROL = /[\u0000-\u0008\u000a-\u001f\u007f]/;

/**
 * The stdin lines that carry `cmd.input`, in order. A value must fit on one line; under a pty the terminal
 * would also act on control characters (Ctrl-C, erase...) and cut long lines, so those are refused there.
 */
export function secretStdin(cmd: ShellCommand, opts: { pty: boolean }): string {
  return cmd.input
    .map((s, i) => {
      checkSecret(s, i, cmd.display, opts.pty);
      return `${s.reveal()}\n`;
    })
    .join('');
}

function checkSecret(s: Secret, i: number, display: string, pty: boolean): void {
  const value = s.reveal();
  const which = `secret() #${i + 1} of \`${display}\``;
  if (/[\n\0]/.test(value))
    throw new UsageError(
      `${which} contains a ${value.includes('\0') ? 'NUL byte' : 'newline'}: a secret reaches the command as one line of its stdin`,
      "pass a multi-line value as the command's own stdin (.stdin(value)) or in a 0600 file (put with mode 0o600)",
    );
  if (pty && CONTROL.test(value))
    throw new UsageError(
      `${which} contains a control character, which a pty (pty: true) would act on`,
      'run this command without pty: true, or pass the value as its stdin (.stdin(value))',
    );
  if (pty && Buffer.byteLength(value) > PTY_LINE_MAX)
    throw new UsageError(
      `${which} is ${Buffer.byteLength(value)} bytes; a pty (pty: true) reads at most ${PTY_LINE_MAX} bytes a line`,
      'run this command without pty: true, or pass the value as its stdin (.stdin(value))',
    );
}
