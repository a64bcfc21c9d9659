/**
 * Remote text shown on a terminal must not drive the terminal: a `\r` would overwrite the `[host]`
 * prefix, `ESC [2J` clear the screen, an OSC sequence retitle it. Control characters are shown as
 * `cat -v` does (`^M`, `^[`, `^?`; C1 as `M-^[`), tab kept. `--raw-output` turns this off; `--json`
 * keeps the exact text (JSON escapes it).
 */
// eslint-disable-next-line no-control-regex
const CONTROL = /[\x00-\x08\x0a-\x1f\x7f\x80-\x9f]/g;

export function visibleControls(text: string): string {
  return text.replace(CONTROL, (ch) => {
    const c = ch.charCodeAt(0);
    if (c === 0x7f) return '^?';
    if (c >= 0x80) return `M-^${String.fromCharCode(c - 0x80 + 0x40)}`;
    return `^${String.fromCharCode(c + 0x40)}`;
  });
}
