/**
 * `fab completion bash|zsh|fish`: the scripts pass the words typed so far to the awk program over the
 * cache when it is fresh (complete-awk.ts, complete-cache.ts), else to `fab __complete`, and hand the
 * answer to the shell. Lines `:nospace` and `:files` are directives, not candidates.
 */
import { UsageError } from '../errors.js';
import { AWK_PROGRAM, CACHE_FORMAT } from './complete-awk.js';

const D = '$';
/**
 * bash and zsh: is this directory's cache there, of this format, and still true? Sets _fab_cache. `ind` is
 * the shell's indirect expansion (the value of the variable named in $p).
 */
const fresh = (ind: string) => String.raw`_fab_fresh() {
  local c=${D}{XDG_CACHE_HOME:-$HOME/.cache}/fabts/complete$PWD/_fab-complete.tsv k p v
  [[ -f $c ]] || return 1
  {
    IFS= read -r k
    [[ $k == $'${CACHE_FORMAT.replace('\t', '\\t')}' ]] || return 1
    while IFS=$'\t' read -r k p v; do
      case $k in
        d) [[ $PWD -ef $p ]] || return 1 ;;
        w) [[ -e $p && ! $p -nt $c ]] || return 1 ;;
        a) [[ ! -e $p && ! -L $p ]] || return 1 ;;
        e) [[ -v $p && ${D}{${ind}} == "$v" ]] || return 1 ;;
        E) [[ ! -v $p ]] || return 1 ;;
        *) break ;;
      esac
    done
  } <"$c"
  _fab_cache=$c
}`;

const BASH = String.raw`# fab completion for bash: source <(fab completion bash)
# (or: fab completion bash > ~/.local/share/bash-completion/completions/fab)
# A warm Tab answers from fab's cache with awk; a changed fabfile or host file asks fab itself.
_FAB_AWK='${AWK_PROGRAM}'
${fresh('!p')}
_fab_complete() {
  local line=${D}{COMP_LINE:0:COMP_POINT} out item _fab_cache=
  if ! { _fab_fresh && out=$(FAB_COMP_SHELL=bash FAB_COMP_LINE=$line FAB_COMP_WORDBREAKS=$COMP_WORDBREAKS LC_ALL=C \
    command awk "$_FAB_AWK" "$_fab_cache" 2>/dev/null) && [[ $out != :miss ]]; }; then
    out=$(FAB_COMP_WORDBREAKS=$COMP_WORDBREAKS FAB_COMP_PWD=$PWD command fab __complete bash -- "$line" 2>/dev/null) ||
      return 0
  fi
  COMPREPLY=()
  while IFS= read -r item; do
    case $item in
      :nospace) compopt -o nospace 2>/dev/null ;;
      :files) compopt -o default 2>/dev/null ;;
      '') ;;
      *) COMPREPLY+=("$item") ;;
    esac
  done <<<"$out"
}
complete -F _fab_complete fab
`;

const ZSH = String.raw`#compdef fab
# fab completion for zsh: source <(fab completion zsh) after compinit
# (or: fab completion zsh > "${D}{fpath[1]}/_fab")
# A warm Tab answers from fab's cache with awk; a changed fabfile or host file asks fab itself.
_FAB_AWK='${AWK_PROGRAM}'
${fresh('(P)p')}
_fab() {
  local -a out cands
  local item raw nospace=0 files=0 _fab_cache=
  if _fab_fresh && raw=$(FAB_COMP_SHELL=zsh LC_ALL=C command awk "$_FAB_AWK" "$_fab_cache" "${D}{(@)words[2,CURRENT]}" \
    2>/dev/null) && [[ $raw != :miss ]]; then
    out=("${D}{(@f)raw}")
  else
    out=("${D}{(@f)$(FAB_COMP_PWD=$PWD command fab __complete zsh -- "${D}{(@)words[2,CURRENT]}" 2>/dev/null)}")
  fi
  for item in "${D}{out[@]}"; do
    case $item in
      :nospace) nospace=1 ;;
      :files) files=1 ;;
      '') ;;
      *) cands+=("$item") ;;
    esac
  done
  if (( files )); then _files; return; fi
  if (( nospace )); then compadd -Q -S '' -- "${D}{cands[@]}"; else compadd -Q -- "${D}{cands[@]}"; fi
}
if [[ "$funcstack[1]" == _fab ]]; then _fab "$@"; else compdef _fab fab; fi
`;

/** In fish's single quotes a backslash escapes a backslash or a quote. */
const fishQuoted = (s: string) => `'${s.replace(/[\\']/g, (c) => `\\${c}`)}'`;

const FISH = String.raw`# fab completion for fish: fab completion fish | source
# (or: fab completion fish > ~/.config/fish/completions/fab.fish)
# A warm Tab answers from fab's cache with awk; a changed fabfile or host file asks fab itself.
set -g __fab_awk ${fishQuoted(AWK_PROGRAM)}
function __fab_fresh
    set -l base $HOME/.cache
    test -n "$XDG_CACHE_HOME"; and set base $XDG_CACHE_HOME
    set -l c $base/fabts/complete$PWD/_fab-complete.tsv
    test -f $c; or return 1
    set -l first 1
    while read -l line
        if test $first = 1
            test "$line" = ${fishQuoted(CACHE_FORMAT)}; or return 1
            set first 0
            continue
        end
        set -l kp (string split -m2 \t -- $line)
        switch $kp[1]
            case d
                test $PWD -ef $kp[2]; or return 1
            case w
                test -e $kp[2]; and not test $kp[2] -nt $c; or return 1
            case a
                not test -e $kp[2]; and not test -L $kp[2]; or return 1
            case e
                set -q $kp[2]; and test "$$kp[2]" = "$kp[3]"; or return 1
            case E
                not set -q $kp[2]; or return 1
            case '*'
                break
        end
    end <$c
    echo $c
end
function __fab_complete
    set -l before (commandline -opc)
    set -e before[1]
    set -l cur (commandline -ct)
    set -l out
    set -l c (__fab_fresh)
    and set out (FAB_COMP_SHELL=fish LC_ALL=C command awk $__fab_awk $c $before "$cur" 2>/dev/null)
    and test "$out" != :miss
    or set out (FAB_COMP_PWD=$PWD command fab __complete fish -- $before "$cur" 2>/dev/null)
    for item in $out
        switch $item
            case ':nospace'
            case ':files'
                __fish_complete_path "$cur"
            case '*'
                echo $item
        end
    end
end
complete -c fab -f -a '(__fab_complete)'
`;

export const SHELLS = { bash: BASH, zsh: ZSH, fish: FISH } as const;

export function completionScript(shell: string | undefined): string {
  if (shell && Object.hasOwn(SHELLS, shell)) return SHELLS[shell as keyof typeof SHELLS];
  const what = shell ? `fab completion ${shell}: no such shell` : 'fab completion: which shell?';
  throw new UsageError(what, 'write fab completion bash, fab completion zsh or fab completion fish');
}
