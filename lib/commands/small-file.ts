import { raw, sh, type ShellCommand } from './quote.js';

/**
 * Whole small files read and written through one exec channel (the SSH transport's readFile and writeFile): one
 * round trip each, where SFTP needs open, then read or write, then close. The content travels on stdout or stdin,
 * never on the command line. Pure builders; lib/transport/ssh-small-file.ts runs them.
 */

/** Exit statuses of `catFile` when it reads nothing, with the errno name SFTP would report. */
export const CAT_EXIT = { 10: 'ENOENT', 11: 'EISDIR', 12: 'EACCES' } as const;

/** The file's bytes on stdout; exit 10 (absent), 11 (a directory) or 12 (not readable) instead. */
export function catFile(path: string): ShellCommand {
  const c = sh`if [ ! -e ${path} ]; then exit 10; elif [ -d ${path} ]; then exit 11; elif [ ! -r ${path} ]; then exit 12; fi; exec cat -- ${path}`;
  return raw(c.text, `(read ${path})`);
}

/**
 * Writes stdin to the file. With a mode, a new file is created 0600 and given the mode once written, so the
 * content is never readable by others in between; without, the login shell's umask applies, as over SFTP.
 */
export function writeStdin(path: string, mode?: number): ShellCommand {
  const c =
    mode === undefined
      ? sh`cat > ${path}`
      : sh`(umask 077 && cat > ${path}) && chmod ${mode.toString(8).padStart(4, '0')} -- ${path}`;
  return raw(c.text, `(write ${path})`);
}
