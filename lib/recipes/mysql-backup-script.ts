import { quote } from '../commands/quote.js';
import { UsageError } from '../errors.js';
import { TOOLS } from './mysql.js';

/**
 * Pure: the whole backup as one remote script, so a backup costs one round trip instead of seven
 * (detect the tool, pick the dir, --backup, --prepare, rename, keep N, du). It runs inside
 * `withDefaultsFile` (lib/db/client.ts): "$FAB_MY_CNF" is the 0600 login file and "$d" its private
 * dir, removed on exit; the tools' chatter goes to "$d/log" and only its tail comes back on failure.
 * Results are `fab-backup:<key> <value>` lines, parsed by `parseBackupOutput`.
 */
export interface BackupScriptInput {
  /** `auto` (first of mariabackup, xtrabackup, innobackupex found) or a tool name/path. */
  tool: string;
  root: string;
  /** `<root>/<stamp>`: the first free one of base, base-2, base-3, ... is used. */
  base: string;
  keep: number;
}

export const MARK = 'fab-backup:';
/** The stamp of mysql.ts (STAMP) as a glob; `-N` after it is checked apart. */
const STAMP_GLOB = '[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9]_[0-9][0-9]-[0-9][0-9]-[0-9][0-9]';

export function backupScript(i: BackupScriptInput): string {
  if (!Number.isInteger(i.keep) || i.keep < 1) {
    throw new UsageError(`setting backupKeep is ${i.keep}`, 'keep at least one backup: --set backupKeep=7');
  }
  const tools = i.tool === 'auto' ? [...TOOLS] : [i.tool];
  return [
    `root=${quote(i.root)} base=${quote(i.base)} partial=`,
    // the EXIT trap of withDefaultsFile removes "$d"; this one also removes a half-made backup, even on a signal
    `trap 'rm -rf "$d"; [ -z "$partial" ] || rm -rf -- "$partial"' EXIT`,
    // the tools run in the background so that a signal (Ctrl-C, a timeout) is handled at once: stop the tool, then clean up
    'pid=; trap \'[ -z "$pid" ] || { kill -TERM "$pid"; wait "$pid"; } 2>/dev/null; exit 129\' HUP INT TERM',
    'step() { "$@" </dev/null >"$d/log" 2>&1 & pid=$!; wait "$pid"; rc=$?; pid=; }',
    `fail() { echo "${MARK}failed $1"; [ ! -s "$d/log" ] || tail -n 6 "$d/log"; exit 1; }`,
    `tool=; for t in ${tools.map(quote).join(' ')}; do command -v "$t" >/dev/null 2>&1 && { tool=$t; break; }; done`,
    `[ -n "$tool" ] || fail ${quote(`no backup tool found (${tools.join(', ')})`)}`,
    `echo "${MARK}tool $tool"`,
    // `exec`: run by `step` in a background subshell, the tool takes its pid, so a signal reaches the tool itself
    'case $tool in',
    '  *innobackupex*) do_backup() { exec "$tool" --defaults-file="$FAB_MY_CNF" --no-timestamp "$1"; }; do_prepare() { exec "$tool" --apply-log "$1"; } ;;',
    '  *) do_backup() { exec "$tool" --defaults-file="$FAB_MY_CNF" --backup --target-dir="$1"; }; do_prepare() { exec "$tool" --prepare --target-dir="$1"; } ;;',
    'esac',
    // the tool must exit 0 AND end with "completed OK!" (xtrabackup has exited 0 after errors)
    'ok() { awk \'NF { l = $0 } END { exit !(l ~ /completed OK![ \\t]*$/) }\' "$d/log"; }',
    'mkdir -p -m 700 -- "$root" 2>"$d/log" || fail "mkdir $root"',
    // two backups within one second get <stamp>-2, -3, ...: picked here, where the dirs are
    'bk=$base n=1; while [ -e "$bk" ] || [ -e "$bk.partial" ]; do n=$((n+1)); bk=$base-$n; done',
    'mkdir -m 700 -- "$bk.partial" 2>"$d/log" || fail "mkdir $bk.partial"',
    'partial=$bk.partial',
    `echo "${MARK}dir $bk"`,
    'step do_backup "$partial"; [ $rc = 0 ] && ok || fail "$tool --backup (exit $rc)"',
    'step do_prepare "$partial"; [ $rc = 0 ] && ok || fail "$tool --prepare (exit $rc)"',
    'mv -T -- "$partial" "$bk" 2>"$d/log" || fail "rename $partial"',
    'partial=',
    // keep the newest N stamped dirs (never the one just made); other names are never touched. Globs, `case` and
    // `set --` are shell builtins: on a loaded host every extra process costs tens of ms (this was ls|grep|sort|awk)
    // (LC_ALL=C: bash as sh would sort the glob by the locale's collation)
    'LC_ALL=C; set --; for f in "$root"/*; do n=${f##*/}; r=${n#' + STAMP_GLOB + '}',
    '  case $r in "$n" | - | -*[!0-9]*) ;; "" | -*) [ "$n" = "${bk##*/}" ] || set -- "$@" "$n" ;; esac',
    `done; n=$(($# - ${i.keep - 1}))`,
    `for old; do [ $n -gt 0 ] || break; n=$((n-1)); rm -rf -- "$root/$old" && echo "${MARK}removed $root/$old"; done`,
    // one process (du), not a pipeline into cut
    `s=$(du -sb -- "$bk"); echo "${MARK}bytes \${s%%[!0-9]*}"`,
  ].join('\n');
}

export interface BackupOutput {
  tool?: string;
  dir?: string;
  bytes?: number;
  removed: string[];
  /** What failed, and the tail of the tool's log after it. */
  failed?: { what: string; tail: string };
}

/** Pure: the script's marker lines; everything after a `failed` marker is the log tail. */
export function parseBackupOutput(out: string): BackupOutput {
  const res: BackupOutput = { removed: [] };
  const lines = out.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!;
    if (!line.startsWith(MARK)) continue;
    const [key, ...rest] = line.slice(MARK.length).split(' ');
    const value = rest.join(' ');
    if (key === 'tool') res.tool = value;
    else if (key === 'dir') res.dir = value;
    else if (key === 'bytes') res.bytes = Number(value);
    else if (key === 'removed') res.removed.push(value);
    else if (key === 'failed') {
      res.failed = {
        what: value,
        tail: lines
          .slice(n + 1)
          .join('\n')
          .trimEnd(),
      };
      break;
    }
  }
  return res;
}
