import { posix } from 'node:path';
import { join, raw, sh, type ShellCommand } from './quote.js';

/**
 * Reading remote files through the shell (pure builders), for the paths SFTP cannot take: a root-only
 * file read with sudo, as base64 so any bytes survive the text channel. The same commands as
 * lib/files/edit.ts and helpers.ts run today, to be used from there when their two read paths become one.
 */

/** Exit status of `readBase64` when the file does not exist. */
export const ABSENT_EXIT = 3;

/** The file as one base64 line, or exit ABSENT_EXIT when it is not a regular file. */
export const readBase64 = (path: string): ShellCommand =>
  sh`[ -f ${path} ] || exit ${ABSENT_EXIT}; base64 -w0 -- ${path}`;

/**
 * The file as one base64 line; `absent` (exit 0) when there is none; `notafile` and exit 3 for a directory
 * or the like. Shown as `(read PATH)`: the plumbing says nothing to an operator.
 */
export function readForEdit(path: string): ShellCommand {
  const read = join(
    [
      sh`if [ -f ${path} ]; then base64 -w0 -- ${path};`,
      sh`elif [ -e ${path} ]; then echo notafile; exit 3;`,
      sh`else echo absent; fi`,
    ],
    ' ',
  );
  return raw(read.text, `(read ${path})`);
}

export type ReadForEdit =
  { kind: 'absent' } | { kind: 'file'; data: Buffer } | { kind: 'notafile' } | { kind: 'error' };

/** What `readForEdit` said. */
export function parseReadForEdit(stdout: string, code: number | null): ReadForEdit {
  const out = stdout.trim();
  if (code !== 0) return out.startsWith('notafile') ? { kind: 'notafile' } : { kind: 'error' };
  return out === 'absent' ? { kind: 'absent' } : { kind: 'file', data: Buffer.from(out, 'base64') };
}

/** Exit 0 when the path exists (as whoever runs it). */
export const pathExists = (path: string): ShellCommand => sh`test -e ${path}`;

/**
 * Exit 0 when the login user can replace the file alone: it may read it and owns it (so a rename keeps
 * the owner), or there is none, and it may write the folder.
 */
export function canReplace(path: string): ShellCommand {
  const check = sh`{ [ ! -e ${path} ] || { [ -r ${path} ] && [ -O ${path} ]; }; } && [ -w ${posix.dirname(path)} ]`;
  return raw(check.text, `(can the login user replace ${path}?)`);
}
