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

/** Exit status of `putStdin` when the file written is not `size` bytes long. */
export const PUT_SHORT = 14;

/** The largest file `put` sends as one exec (`putStdin`); bigger files go over SFTP, streamed. */
export const SMALL_PUT_MAX = 256 * 1024;

/**
 * A single-file put in one exec: stdin written to `path` (or to `path/<intoDir>` when `path` is a directory, as
 * SFTP's put resolves it), then its size checked on the host (exit PUT_SHORT, sizes on stderr) and the mode set.
 * Prints the path written. Same creation rules as writeStdin.
 */
export function putStdin(path: string, size: number, mode?: number, intoDir?: string): ShellCommand {
  const inside = intoDir === undefined ? undefined : `${path.replace(/\/+$/, '')}/${intoDir}`;
  const pick = inside === undefined ? sh`d=${path}` : sh`d=${path}; [ -d "$d" ] && d=${inside}`;
  const write = mode === undefined ? 'cat > "$d"' : '(umask 077 && cat > "$d")';
  const short = `{ echo "arrived with $n bytes, ${size} expected" >&2; exit ${PUT_SHORT}; }`;
  const check = `n=$(wc -c < "$d") && [ $n -eq ${size} ] || ${short}`;
  const chmod = mode === undefined ? '' : ` && chmod ${mode.toString(8).padStart(4, '0')} -- "$d"`;
  return raw(`${pick.text}; ${write} || exit 1; ${check}${chmod} && printf '%s' "$d"`, `(put ${path})`);
}
