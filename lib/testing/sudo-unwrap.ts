/**
 * The command inside fab's sudo wrapper (run/scope.ts: `sudo -S -p PROMPT -H [-u U] -- sh -c 'printf START >&2 && CMD'`),
 * so scripted answers are written against the command the recipe asked for, and the start marker can be played.
 */
export interface Unwrapped {
  command: string;
  sudo: boolean;
  /** sudo's -u user, when given. */
  user?: string;
  /** The marker the runner waits for on stderr before the command's own output. */
  startMark?: string;
}

/** One single-quoted shell word at `s[i]` as quote() writes it ('...' with '\'' for a quote): [value, next index]. */
function quotedWord(s: string, i: number): [string, number] {
  let out = '';
  while (s[i] === "'") {
    const end = s.indexOf("'", i + 1);
    if (end < 0) throw new Error(`unterminated quote in ${s}`);
    out += s.slice(i + 1, end);
    i = end + 1;
    if (s.startsWith("\\'", i)) {
      out += "'";
      i += 2;
    }
  }
  return [out, i];
}

export function unwrapSudo(executed: string): Unwrapped {
  const head = /^sudo -S -p (?:'[^']*'|\S+) -H +(?:-u (\S+) +)?(?:-g \S+ +)?-- sh -c /.exec(executed);
  if (!head) return { command: executed, sudo: false };
  const [body] = quotedWord(executed, head[0].length);
  const mark = /^printf '%s\\n' (\S+) >&2 && /.exec(body);
  if (!mark) return { command: body, sudo: true, ...(head[1] ? { user: head[1] } : {}) };
  return {
    command: body.slice(mark[0].length),
    sudo: true,
    startMark: mark[1]!,
    ...(head[1] ? { user: head[1] } : {}),
  };
}
