import { describe, expect, it } from 'vitest';
import { complete } from '../../lib/cli/complete.js';
import { forBash, formatCompletion } from '../../lib/cli/complete-command.js';
import { splitLine } from '../../lib/cli/complete-line.js';
import { model, table } from './complete-table.js';

describe('complete(words, model)', () => {
  it.each(table)('%s', (_what, words, want) => {
    expect(complete(words, model)).toEqual(want);
  });
});

describe('bash glue', () => {
  it.each([
    ['fab stage -H w', ['fab', 'stage', '-H', 'w']],
    ['fab ', ['fab', '']],
    ['fab --set \'a b\' x\\ y "c\\"d', ['fab', '--set', 'a b', 'x y', 'c"d']],
    ['', ['']],
  ])('splitLine(%j)', (line, want) => {
    expect(splitLine(line)).toEqual(want);
  });

  it('keeps only what follows the last COMP_WORDBREAKS character', () => {
    const wb = '"\'><=;|&(:';
    expect(forBash({ words: ['--hide=running', '--hide=status'] }, '--hide=r', wb)).toEqual(['running', 'status']);
    expect(forBash({ words: ['deploy:mode=fast'] }, 'deploy:mode=f', wb)).toEqual(['fast']);
    expect(forBash({ words: ['web1,web2'] }, 'web1,w', wb)).toEqual(['web1,web2']);
    expect(formatCompletion({ words: ['a'], nospace: true, files: true }, ['a'])).toBe(':nospace\n:files\na\n');
  });
});
