/**
 * Pure parts of put/get: where each local file lands on the host, the root-side scripts of sudo
 * transfers, and get's local path template. No I/O here: lib/run/put-files.ts and get-file.ts do that.
 */
import { posix } from 'node:path';
import { quote, raw, type ShellCommand } from './quote.js';

/** One local file to upload; `rel` is its path from the parent of the source it was found under. */
export interface LocalFile {
  abs: string;
  rel: string;
  mode: number;
  size: number;
}

/** What a put source expands to: files and folders (relative, like LocalFile.rel), and what was named. */
export interface LocalTree {
  sources: { name: string; isDir: boolean }[];
  files: LocalFile[];
  dirs: string[];
}

export interface PlannedFile {
  local: string;
  remote: string;
  size: number;
  /** Mode to set; undefined keeps the host's default (or, with sudo, an existing file's). */
  mode?: number;
  /** Single-file put: if `remote` is a directory on the host, the file goes inside it under this name. */
  intoDir?: string;
}

export interface PutPlan {
  files: PlannedFile[];
  /** Remote folders to create first, parents before children. */
  dirs: string[];
}

/**
 * scp's rules: one file goes to `remote` (or inside it, if it is a folder); a folder goes to `remote`
 * when that does not exist yet, else inside it under its own name; several sources (a glob) go inside `remote`.
 */
export function planPut(
  tree: LocalTree,
  remote: string,
  remoteIsDir: boolean,
  mode: (f: LocalFile) => number | undefined,
): PutPlan {
  const [first] = tree.sources;
  if (tree.sources.length === 1 && first && !first.isDir) {
    const f = tree.files[0]!;
    return {
      files: [withMode({ local: f.abs, remote, size: f.size, intoDir: posix.basename(f.rel) }, mode(f))],
      dirs: [],
    };
  }
  const dirOntoNew = tree.sources.length === 1 && !remoteIsDir;
  const target = (rel: string): string => {
    if (!dirOntoNew) return posix.join(remote, rel);
    const rest = rel.split('/').slice(1).join('/');
    return rest ? posix.join(remote, rest) : remote;
  };
  const dirs = new Set<string>(remoteIsDir ? [] : [remote]);
  for (const d of [...tree.dirs].sort()) dirs.add(target(d));
  const files = tree.files.map((f) => withMode({ local: f.abs, remote: target(f.rel), size: f.size }, mode(f)));
  return { files, dirs: [...dirs] };
}

const withMode = (f: PlannedFile, mode: number | undefined): PlannedFile => (mode === undefined ? f : { ...f, mode });

export const octal = (mode: number): string => (mode & 0o7777).toString(8).padStart(4, '0');

/**
 * Runs as root (inside fab's sudo wrapper): each uploaded file in the private `tmpDir` is copied to a
 * temp name beside its destination, given the existing file's owner, group and mode (or the upload's
 * mode for a new file), then `mode`/`owner`, and renamed over the destination: readers see the old
 * file or the new one, never a part. The temp dir and any half-made temp file are removed on exit.
 */
export function sudoInstallScript(
  plan: PutPlan,
  tmpDir: string,
  tmpNames: readonly string[],
  owner?: string,
): ShellCommand {
  const lines = [
    'set -e',
    't=',
    `fab_tmp=${quote(tmpDir)}`,
    `trap 'rm -rf -- "$fab_tmp"; if [ -n "$t" ]; then rm -f -- "$t"; fi' EXIT`,
    'fab_put() {',
    '  d=$2',
    '  if [ -n "$5" ] && [ -d "$d" ]; then d="$d/$5"; fi',
    '  if [ -d "$d" ]; then echo "$d is a directory" >&2; exit 1; fi',
    '  t=$(mktemp "$(dirname -- "$d")/.fab-put.XXXXXX")',
    '  cat -- "$1" > "$t"',
    '  if [ -e "$d" ]; then chown --reference="$d" -- "$t"; chmod --reference="$d" -- "$t";',
    '  else chmod --reference="$1" -- "$t"; fi',
    '  if [ -n "$3" ]; then chmod "$3" -- "$t"; fi',
    '  if [ -n "$4" ]; then chown "$4" -- "$t"; fi',
    '  mv -f -- "$t" "$d"',
    '  t=',
    '}',
  ];
  if (plan.dirs.length) {
    lines.push(`mkdir -p -- ${plan.dirs.map(quote).join(' ')}`);
    if (owner) lines.push(`chown ${quote(owner)} -- ${plan.dirs.map(quote).join(' ')}`);
  }
  plan.files.forEach((f, i) => {
    const mode = f.mode === undefined ? '' : octal(f.mode);
    const args = [posix.join(tmpDir, tmpNames[i]!), f.remote, mode, owner ?? '', f.intoDir ?? ''];
    lines.push(`fab_put ${args.map(quote).join(' ')}`);
  });
  const what = plan.files.length === 1 ? plan.files[0]!.remote : `${plan.files.length} files`;
  return raw(lines.join('\n'), `(install ${what} as root from ${tmpDir})`);
}

/** Runs as root: copies a root-only file into the login user's private temp dir, readable by that user alone. */
export function sudoFetchScript(remote: string, tmpFile: string): ShellCommand {
  const [src, dst] = [quote(remote), quote(tmpFile)];
  const text = [
    `if [ ! -f ${src} ]; then echo ${quote(`${remote}: not a regular file`)} >&2; exit 1; fi`,
    `cat -- ${src} > ${dst} && chmod 600 -- ${dst} && chown "$SUDO_UID" -- ${dst}`,
  ].join('\n');
  return raw(text, `(copy ${remote} for download as root)`);
}

/** First line of catForGet's output: `fab-get <size>` then the bytes, or `fab-get -` when it is not for cat. */
export const CAT_GET_MARK = 'fab-get';

/**
 * get() of a plain file the login user can read, over an exec channel: one line with the size
 * (`fab-get 1234`), then the bytes. Anything else (missing, unreadable, not a regular file) prints
 * `fab-get -` and nothing more, and the caller asks SFTP, whose errors name the path as before.
 * One line: sshd hands it to the login shell, whatever that is; a shell that cannot run it prints no
 * mark, which sends the caller to SFTP too.
 */
export function catForGet(remote: string): ShellCommand {
  const f = quote(remote);
  const text =
    `f=${f}; if [ -f "$f" ] && [ -r "$f" ]; then ` +
    `s=$(stat -L -c %s -- "$f" 2>/dev/null || wc -c < "$f") && echo "${CAT_GET_MARK} $s" && exec cat -- "$f"; ` +
    `fi; echo '${CAT_GET_MARK} -'`;
  return raw(text, `(cat ${remote} for download)`);
}

/** First line of catForPut's output: `fab-put ok` (send the bytes now) or `fab-put -` (not for cat: use SFTP). */
export const CAT_PUT_MARK = 'fab-put';
/** Exit status of catForPut when the bytes that arrived are not `size` (sizes on stderr). */
export const CAT_PUT_SHORT = 14;

/**
 * put() of one file over an exec channel, the twin of catForGet: stdin goes to a private temp file beside the
 * target (`remote`, or `remote/<intoDir>` when that is a folder), its size is checked, it gets `mode` (else an
 * existing target's mode, else 0666 less the umask, as SFTP would create it) and is renamed over the target; the
 * path written comes last on stdout. A target folder that is missing or not writable, or a target that is a
 * folder, prints `fab-put -` before reading anything: the caller uses SFTP, whose errors name the path as before.
 * Cut short (EOF early, a signal, the connection gone), the temp file is removed and the target is as it was.
 */
export function catForPut(remote: string, size: number, mode?: number, intoDir?: string): ShellCommand {
  const inside = intoDir === undefined ? '' : `; [ -d "$d" ] && d=${quote(`${remote.replace(/\/+$/, '')}/${intoDir}`)}`;
  const umaskMode = '"$(printf %o $((0666 & ~0$(umask))))"';
  const chmod =
    mode === undefined
      ? `if [ -e "$d" ]; then chmod --reference="$d" -- "$t"; else chmod ${umaskMode} -- "$t"; fi`
      : `chmod ${octal(mode)} -- "$t"`;
  const short = `{ echo "arrived with $n bytes, ${size} expected" >&2; exit ${CAT_PUT_SHORT}; }`;
  const text = [
    `d=${quote(remote)}${inside}`,
    `[ ! -d "$d" ] && t=$(mktemp "$(dirname -- "$d")/.fab-put.XXXXXX" 2>/dev/null) || ` +
      `{ echo '${CAT_PUT_MARK} -'; exit 0; }`,
    `trap 'rm -f -- "$t"' EXIT; trap 'exit 129' HUP INT TERM PIPE; echo '${CAT_PUT_MARK} ok'; cat > "$t" || exit 1`,
    `n=$(wc -c < "$t"); [ "$n" -eq ${size} ] || ${short}`,
    `${chmod} || exit 1; mv -f -- "$t" "$d" && t= && printf '%s' "$d"`,
  ].join('; ');
  return raw(text, `(cat to ${remote} for upload)`);
}

const TOKENS: Record<string, (v: { host: string; remote: string }) => string> = {
  host: (v) => v.host,
  path: (v) => v.remote.replace(/^\/+/, ''),
  basename: (v) => posix.basename(v.remote),
  dirname: (v) => posix.dirname(v.remote).replace(/^\/+/, ''),
};

/** Does a get() local path name the host (so several hosts never write the same file)? */
export const hasHostToken = (template: string): boolean => /\{host\}|%\(host\)s/.test(template);

/** `{host}/{path}` or Fabric's `%(host)s/%(path)s`; also `{basename}`, `{dirname}`. Unknown tokens stay as written. */
export function localPathFor(template: string, host: string, remote: string): string {
  return template.replace(/\{(\w+)\}|%\((\w+)\)s/g, (all, a: string | undefined, b: string | undefined) => {
    const fn = TOKENS[(a ?? b)!];
    return fn ? fn({ host, remote }) : all;
  });
}
