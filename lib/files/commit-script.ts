import { quote, sh } from '../commands/quote.js';

/**
 * The shell script that replaces a file atomically on the host, in one round trip:
 * check the file is still what we read (sha256), copy the uploaded content to a temp file beside it,
 * keep owner/group/mode, validate the temp file, keep a backup, fsync, rename over the original.
 * Any failure leaves the original byte for byte; the temp files are removed on every path.
 */

export const EXIT = { changed: 99, invalid: 98, owner: 97, failed: 95, aborted: 94 } as const;

/** Printed first by a script that takes its content on stdin: it ran (a sudo that refused to start prints none). */
export const STARTED = 'fab-commit-started';

/** Printed once the file is replaced, before `after` runs: what follows on stdout and the exit status are its. */
export const COMMITTED = 'fab-commit-done';

export interface CommitSpec {
  path: string;
  /** Uploaded new content (removed afterwards); undefined: the new content comes on the script's stdin. */
  upload?: string;
  /**
   * sha256 hex of what was read, or 'absent' for a file we create. undefined: the script was started before the
   * read came back; the hash is the first line of its stdin, and no line (stdin closed) means nothing to do.
   */
  expectHash: string | undefined;
  /** Root can keep any owner; a login user may only replace files it owns. */
  sudo: boolean;
  /** e.g. 'nginx -t -q -c %s': %s is the new file's path. */
  validate?: string;
  backup?: string;
  /** For a new file. */
  mode?: number;
  owner?: string;
  /**
   * Shell text run by the same script once the file is in place (e.g. a reload), so a change and its effect
   * cost one command; its exit status is the script's. Without `set -u`: it may be the operator's own text.
   */
  after?: string;
}

export function commitScript(s: CommitSpec): string {
  const lines = [
    ...(s.upload === undefined ? [`echo ${STARTED}`] : []),
    'set -u',
    `f=${quote(s.path)}; new=${s.upload === undefined ? '' : quote(s.upload)}; want=${quote(s.expectHash ?? '')}; tmp=`,
    ...(s.expectHash === undefined ? [`IFS= read -r want && [ -n "$want" ] || exit ${EXIT.aborted}`] : []),
    `trap '[ -z "$new" ] || rm -f -- "$new"; [ -z "$tmp" ] || rm -f -- "$tmp"' EXIT`,
    // A signal (a hard abort reaches the session's processes) must still clean up: dash runs no EXIT trap on one.
    `trap 'exit 129' HUP INT TERM PIPE`,
    `if [ "$want" = absent ]; then [ ! -e "$f" ] || exit ${EXIT.changed}; else cur=$(sha256sum < "$f") || exit ${EXIT.failed}; [ "\${cur%% *}" = "$want" ] || exit ${EXIT.changed}; fi`,
  ];
  if (!s.sudo) lines.push(`[ "$want" = absent ] || [ "$(stat -c %u -- "$f")" = "$(id -u)" ] || exit ${EXIT.owner}`);
  lines.push(
    'dir=$(dirname -- "$f"); base=$(basename -- "$f")',
    `tmp=$(mktemp -- "$dir/.$base.fab-XXXXXX") || exit ${EXIT.failed}`,
    // stdin: the upload rides with the script (one round trip less than writing it first).
    `${s.upload === undefined ? 'cat' : 'cat -- "$new"'} > "$tmp" || exit ${EXIT.failed}`,
  );
  const keep = s.sudo
    ? 'chown --reference="$f" -- "$tmp" && chmod --reference="$f" -- "$tmp"'
    : 'chmod --reference="$f" -- "$tmp"';
  const fresh = [
    `chmod ${(s.mode ?? 0o644).toString(8)} -- "$tmp"`,
    ...(s.owner ? [sh`chown ${s.owner} -- "$tmp"`.text] : []),
  ].join(' && ');
  lines.push(`if [ "$want" = absent ]; then ${fresh}; else ${keep}; fi || exit ${EXIT.failed}`);
  if (s.validate) {
    const cmd = s.validate.split('%s').join('"$tmp"');
    lines.push(`out=$( { ${cmd} ; } 2>&1 ) || { printf '%s\\n' "$out" >&2; exit ${EXIT.invalid}; }`);
  }
  if (s.backup) lines.push(`[ "$want" = absent ] || cp -p -- "$f" "$f"${quote(s.backup)} || exit ${EXIT.failed}`);
  lines.push(
    'sync -- "$tmp" 2>/dev/null',
    `mv -f -- "$tmp" "$f" || exit ${EXIT.failed}`,
    'tmp=',
    'sync -- "$dir" 2>/dev/null',
    ...(s.after === undefined ? ['exit 0'] : [`echo ${COMMITTED}`, 'set +u', s.after]),
  );
  return lines.join('\n');
}
