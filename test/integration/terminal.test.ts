import { describe, expect, it } from 'vitest';
import { REPO, fab } from '../helpers/fab.js';
import { runOnTty } from '../helpers/tty.js';
import { testLabDir } from '../lab/shared.js';

// Carriage return, clear screen, an OSC title, then text: what a hostile or careless remote command prints.
const HOSTILE = String.raw`printf 'a\rb\033[2J\033]0;owned\007c\n'`;
const onTty = (extra: string[]) =>
  runOnTty([`node ${REPO}bin/fab.js lab -H web1`, ...extra, '--', `"${HOSTILE}"`].join(' '), {
    env: { ...process.env, FAB_LAB_DIR: testLabDir(), NO_COLOR: '1' },
  });

describe('remote control characters on a terminal', () => {
  it('are shown, not obeyed: the [host] prefix and the screen stay intact', async () => {
    const r = await onTty([]);
    expect(r.code).toBe(0);
    expect(r.out).toContain('[web1] out: a^Mb^[[2J^[]0;owned^Gc');
    expect(r.out).not.toContain('\x1b[2J');
    expect(r.out).not.toContain('\x1b]0;');
  });

  it('pass through with --raw-output', async () => {
    const r = await onTty(['--raw-output']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('a\rb\x1b[2J\x1b]0;owned\x07c');
  });

  it('keep their exact text in --json', async () => {
    const r = await fab(['lab', '-H', 'web1', '--json', '--', HOSTILE]);
    expect(r.code).toBe(0);
    expect(r.events.flatMap((e) => (e.type === 'output' ? [e.line] : []))).toEqual(['a\rb\x1b[2J\x1b]0;owned\x07c']);
  });
});
