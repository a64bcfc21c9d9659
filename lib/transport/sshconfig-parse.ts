import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** One directive of an ssh_config file: `Keyword arg1 "arg 2"` or `Keyword=arg`. */
export interface ConfigLine {
  file: string;
  line: number;
  /** lower case, as OpenSSH compares keywords */
  keyword: string;
  args: string[];
  /** The arguments as written: ProxyCommand and the like go to the shell untouched. */
  rest: string;
}

/** Splits the arguments of a line as OpenSSH's argv_split: whitespace, "double" and 'single' quotes, \ escapes. */
export function splitArgs(text: string): string[] {
  const out: string[] = [];
  let i = 0;
  while (i < text.length) {
    while (i < text.length && /\s/.test(text[i]!)) i++;
    if (i >= text.length || text[i] === '#') break;
    let word = '';
    let quote: string | undefined;
    for (; i < text.length; i++) {
      const c = text[i]!;
      if (quote) {
        if (c === quote) quote = undefined;
        else if (c === '\\' && quote === '"' && (text[i + 1] === '"' || text[i + 1] === '\\')) word += text[++i];
        else word += c;
      } else if (c === '"' || c === "'") quote = c;
      else if (/\s/.test(c)) break;
      else if (c === '\\' && i + 1 < text.length) word += text[++i];
      else word += c;
    }
    if (quote) throw new Error('unterminated quote');
    out.push(word);
  }
  return out;
}

/** Parses a file's text; a syntax error names the file and line. */
export function parseConfigText(text: string, file: string): ConfigLine[] {
  const lines: ConfigLine[] = [];
  text.split(/\r?\n/).forEach((raw, n) => {
    const s = raw.trim();
    if (!s || s.startsWith('#')) return;
    // The keyword ends at whitespace or at the first '=' (OpenSSH allows `Port=22` and `Port = 22`).
    const m = /^([^\s=]+)\s*(?:=\s*)?(.*)$/.exec(s);
    if (!m) return;
    let args: string[];
    try {
      args = splitArgs(m[2] ?? '');
    } catch (err) {
      throw new SshConfigSyntaxError(file, n + 1, (err as Error).message);
    }
    lines.push({ file, line: n + 1, keyword: m[1]!.toLowerCase(), args, rest: m[2] ?? '' });
  });
  return lines;
}

export class SshConfigSyntaxError extends Error {
  constructor(
    readonly file: string,
    readonly line: number,
    readonly why: string,
  ) {
    super(`${file}:${line}: ${why}`);
  }
}

/** A glob pattern (`*`, `?`, `[...]`) as a RegExp for one path segment. */
function segmentRegExp(seg: string): RegExp {
  const body = seg
    .replace(/[.+^${}()|\\]/g, '\\$&')
    .replace(/\*/g, '[^/]*')
    .replace(/\?/g, '[^/]');
  return new RegExp(`^${body}$`);
}

/** The files an Include pattern names, sorted as glob(3) returns them; none if nothing matches (as OpenSSH). */
export function globFiles(pattern: string): string[] {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const segs = pattern.split('/');
  let bases = [segs[0] === '' ? '/' : '.'];
  for (const seg of segs.slice(segs[0] === '' ? 1 : 0)) {
    if (!/[*?[]/.test(seg)) {
      bases = bases.map((b) => join(b, seg));
      continue;
    }
    const re = segmentRegExp(seg);
    bases = bases.flatMap((b) => {
      try {
        return readdirSync(b)
          .filter((f) => !f.startsWith('.') && re.test(f))
          .sort()
          .map((f) => join(b, f));
      } catch {
        return [];
      }
    });
  }
  return bases;
}

/** Where a relative Include path is read from: ~/.ssh for a user's file, /etc/ssh for the system's. */
export function includeBase(topFile: string, userSshDir: string): string {
  return topFile.startsWith('/etc/ssh/') ? '/etc/ssh' : userSshDir || dirname(topFile);
}
