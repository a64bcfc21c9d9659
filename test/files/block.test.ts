import { describe, expect, it } from 'vitest';
import { blockMarkers, setBlock } from '../../lib/files/block.js';

const M = { begin: '# BEGIN fabts managed block: mysql', end: '# END fabts managed block: mysql' };

describe('setBlock', () => {
  it('appends a new block with its markers', () => {
    const r = setBlock('global\n    daemon\n', 'mysql', 'listen mysql\n    mode tcp\n');
    expect(r.text).toBe(`global\n    daemon\n${M.begin}\nlisten mysql\n    mode tcp\n${M.end}\n`);
    expect(r.matched).toBe(0);
  });
  it('is idempotent: the same block again gives the same text', () => {
    const once = setBlock('a\n', 'mysql', 'x\n').text;
    expect(setBlock(once, 'mysql', 'x\n').text).toBe(once);
  });
  it('replaces the block in place, keeping what is around it', () => {
    const text = `a\n${M.begin}\nold\n${M.end}\nz\n`;
    const r = setBlock(text, 'mysql', 'new1\nnew2');
    expect(r.text).toBe(`a\n${M.begin}\nnew1\nnew2\n${M.end}\nz\n`);
    expect(r.matched).toBe(1);
  });
  it('removes the block with state absent, and an absent block is no change', () => {
    const text = `a\n${M.begin}\nold\n${M.end}\nz\n`;
    expect(setBlock(text, 'mysql', '', { state: 'absent' }).text).toBe('a\nz\n');
    expect(setBlock('a\n', 'mysql', '', { state: 'absent' }).text).toBe('a\n');
  });
  it('keeps two named blocks apart', () => {
    const t = setBlock(setBlock('', 'one', '1').text, 'two', '2').text;
    expect(setBlock(t, 'one', 'uno').text).toContain(
      'uno\n# END fabts managed block: one\n# BEGIN fabts managed block: two\n2\n',
    );
  });
  it('refuses a begin marker without an end, and a marker template without {mark}', () => {
    expect(() => setBlock(`${M.begin}\nx\n`, 'mysql', 'y')).toThrow(/has no "# END/);
    expect(() => blockMarkers('x', '# managed')).toThrow(/no \{mark\}/);
    expect(blockMarkers('x', '// {mark} x')).toEqual({ begin: '// BEGIN x', end: '// END x' });
  });
});
