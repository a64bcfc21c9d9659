/**
 * `fab completion bash|zsh|fish`: the scripts only pass the words typed so far to `fab __complete`
 * and hand its answer to the shell. Lines `:nospace` and `:files` are directives, not candidates.
 */
import { UsageError } from '../errors.js';

const BASH = String.raw`# fab completion for bash: source <(fab completion bash)
# (or: fab completion bash > ~/.local/share/bash-completion/completions/fab)
_fab_complete() {
  local line=${'$'}{COMP_LINE:0:COMP_POINT} out item
  out=$(FAB_COMP_WORDBREAKS=$COMP_WORDBREAKS command fab __complete bash -- "$line" 2>/dev/null) || return 0
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
# (or: fab completion zsh > "${'$'}{fpath[1]}/_fab")
_fab() {
  local -a out cands
  local item nospace=0 files=0
  out=("${'$'}{(@f)$(command fab __complete zsh -- "${'$'}{(@)words[2,CURRENT]}" 2>/dev/null)}")
  for item in "${'$'}{out[@]}"; do
    case $item in
      :nospace) nospace=1 ;;
      :files) files=1 ;;
      '') ;;
      *) cands+=("$item") ;;
    esac
  done
  if (( files )); then _files; return; fi
  if (( nospace )); then compadd -Q -S '' -- "${'$'}{cands[@]}"; else compadd -Q -- "${'$'}{cands[@]}"; fi
}
if [[ "$funcstack[1]" == _fab ]]; then _fab "$@"; else compdef _fab fab; fi
`;

const FISH = String.raw`# fab completion for fish: fab completion fish | source
# (or: fab completion fish > ~/.config/fish/completions/fab.fish)
function __fab_complete
    set -l before (commandline -opc)
    set -e before[1]
    set -l cur (commandline -ct)
    for item in (command fab __complete fish -- $before "$cur" 2>/dev/null)
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
