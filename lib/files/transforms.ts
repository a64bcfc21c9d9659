/**
 * Pure text transforms behind sed/comment/uncomment/append/contains. Patterns are RegExp or literal
 * strings (a string is never a regex), replacements are literal or a function: no shell and no sed
 * syntax anywhere, so quotes, `/`, `&`, `$`, backslashes and newlines are just text.
 */

export type Pattern = string | RegExp;

export interface Transformed {
  text: string;
  /** Lines the pattern matched, changed or not (an already commented line counts for comment()). */
  matched: number;
  /** The matched lines, 1-based, for error messages. */
  lines: { n: number; text: string }[];
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');

/** A RegExp for `pattern`; strings match literally. `flags` adds flags; the result is never sticky. */
export function toRegExp(pattern: Pattern, flags = ''): RegExp {
  const src = typeof pattern === 'string' ? escapeRe(pattern) : pattern.source;
  const base = typeof pattern === 'string' ? '' : pattern.flags.replace(/[gy]/g, '');
  return new RegExp(src, [...new Set(base + flags)].join(''));
}

/** Does one line match? (no global state: a fresh, non-global RegExp each time) */
const lineMatches = (re: RegExp, line: string) => new RegExp(re.source, re.flags.replace(/[gy]/g, '')).test(line);

function splitLines(text: string): { lines: string[]; finalNewline: boolean } {
  const finalNewline = text.endsWith('\n');
  const body = finalNewline ? text.slice(0, -1) : text;
  return { lines: text === '' ? [] : body.split('\n'), finalNewline };
}
const joinLines = (lines: string[], finalNewline: boolean) =>
  lines.length ? lines.join('\n') + (finalNewline ? '\n' : '') : '';

export interface SedOptions {
  /** Only lines matching this are edited (sed's address, Fabric's `limit`). */
  limit?: Pattern;
  /** Extra RegExp flags, e.g. 'i'. */
  flags?: string;
}

/**
 * Replace every match of `before` with `after` (literal text, or a function of the match and groups).
 * `^` and `$` match at line boundaries, as in sed; a pattern may span lines when it contains `\n`.
 */
export function sedText(
  text: string,
  before: Pattern,
  after: string | ((match: string, ...groups: string[]) => string),
  opts: SedOptions = {},
): Transformed {
  const re = toRegExp(before, `gm${opts.flags ?? ''}`);
  const limit = opts.limit === undefined ? undefined : toRegExp(opts.limit, 'm');
  const lineStarts = [0];
  for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) lineStarts.push(i + 1);
  const lineOf = (offset: number) => {
    let lo = 0;
    let hi = lineStarts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (lineStarts[mid]! <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo;
  };
  const lineText = (n: number) => text.slice(lineStarts[n], (lineStarts[n + 1] ?? text.length + 1) - 1);
  const hit = new Set<number>();
  const out = text.replace(re, (...m: unknown[]) => {
    const match = m[0] as string;
    // replace() passes (match, ...groups, offset, string[, namedGroups]); groups are strings or undefined.
    const at = m.findIndex((x, i) => i > 0 && typeof x === 'number');
    const offset = m[at] as number;
    const line = lineOf(offset);
    if (limit && !lineMatches(limit, lineText(line))) return match;
    hit.add(line);
    const groups = m.slice(1, at) as string[];
    return typeof after === 'function' ? after(match, ...groups) : after;
  });
  const lines = [...hit].sort((a, b) => a - b).map((n) => ({ n: n + 1, text: lineText(n) }));
  return { text: out, matched: lines.length, lines };
}

const commentedRe = (char: string) => new RegExp(`^(\\s*)(?:${escapeRe(char)})+[ \\t]?(.*)$`);

/**
 * Walk the lines, splitting each into indentation, whether it is commented, and its content;
 * `edit` gives the new form of each line whose content matches (the others are left alone).
 */
function editComments(
  text: string,
  pattern: Pattern,
  char: string,
  edit: (line: string, indent: string, commented: boolean, content: string) => string,
): Transformed {
  const re = toRegExp(pattern);
  const isCommented = commentedRe(char);
  const { lines, finalNewline } = splitLines(text);
  const hits: Transformed['lines'] = [];
  const out = lines.map((line, i) => {
    const c = isCommented.exec(line);
    const indent = c ? c[1]! : /^\s*/.exec(line)![0];
    const content = c ? c[2]! : line.slice(indent.length);
    if (!lineMatches(re, content)) return line;
    hits.push({ n: i + 1, text: line });
    return edit(line, indent, c !== null, content);
  });
  return { text: joinLines(out, finalNewline), matched: hits.length, lines: hits };
}

/**
 * Comment out the lines whose content matches: `    server web1;` -> `    #server web1;`.
 * Indentation is kept; a line already commented is matched but left as it is (idempotent).
 */
export function commentText(text: string, pattern: Pattern, char = '#'): Transformed {
  return editComments(text, pattern, char, (line, indent, commented, content) =>
    commented ? line : `${indent}${char}${content}`,
  );
}

/** Uncomment the commented lines whose content matches; keeps indentation; idempotent. */
export function uncommentText(text: string, pattern: Pattern, char = '#'): Transformed {
  return editComments(text, pattern, char, (line, indent, commented, content) =>
    commented ? `${indent}${content}` : line,
  );
}

/**
 * Append each line that is not in the file yet (whole-line match; with `partial`, a line that starts
 * with it counts as present). Adds the missing final newline first. Idempotent.
 */
export function appendText(text: string, add: string | readonly string[], partial = false): Transformed {
  const wanted = typeof add === 'string' ? add.replace(/\n$/, '').split('\n') : [...add];
  const { lines } = splitLines(text);
  const present = (l: string) => lines.some((x) => (partial ? x.startsWith(l) : x === l));
  const missing = wanted.filter((l, i) => !present(l) && wanted.indexOf(l) === i);
  if (!missing.length) return { text, matched: 0, lines: [] };
  const base = text === '' || text.endsWith('\n') ? text : `${text}\n`;
  const start = lines.length;
  return {
    text: `${base}${missing.join('\n')}\n`,
    matched: missing.length,
    lines: missing.map((t, i) => ({ n: start + i + 1, text: t })),
  };
}

export interface ContainsOptions {
  /** The whole line must equal the text (or match the RegExp entirely). */
  exact?: boolean;
  caseSensitive?: boolean;
}

export function containsText(text: string, what: Pattern, opts: ContainsOptions = {}): boolean {
  const flags = opts.caseSensitive === false ? 'i' : '';
  const re = toRegExp(what, flags);
  const exact = new RegExp(`^(?:${re.source})$`, re.flags);
  return splitLines(text).lines.some((line) => (opts.exact ? exact.test(line) : re.test(line)));
}

/** `{{ name }}` placeholders from `context`; a placeholder without a value is an error naming it. */
export function renderTemplate(
  template: string,
  context: Record<string, string | number | boolean>,
  file: string,
): string {
  return template.replace(/\{\{\s*([A-Za-z_][\w.]*)\s*\}\}/g, (_, key: string) => {
    if (!(key in context)) throw new Error(`${file}: template variable "${key}" has no value; pass it in the context`);
    return String(context[key]);
  });
}
