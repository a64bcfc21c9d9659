/**
 * The shells' warm path (awk over the cache file) must answer what complete.ts answers: the same table
 * as complete.test.ts, then a few hundred seeded random lines, both through the zsh/fish interface
 * (words as arguments) and bash's (the line, COMP_WORDBREAKS cut). What awk cannot answer exactly it
 * hands to `fab __complete` with `:miss`; those cases are pinned here too.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { AWK_PROGRAM, CACHE_FORMAT } from '../../lib/cli/complete-awk.js';
import { cacheText } from '../../lib/cli/complete-cache.js';
import { complete, type CompletionModel } from '../../lib/cli/complete.js';
import { forBash, formatCompletion } from '../../lib/cli/complete-command.js';
import { model, table } from './complete-table.js';

const dir = mkdtempSync(join(tmpdir(), 'fab-complete-awk-'));
const BASH_WORDBREAKS = '"\'><=;|&(:';

function cacheOf(m: CompletionModel): string {
  const file = join(dir, `cache-${Math.random().toString(36).slice(2)}.tsv`);
  writeFileSync(file, cacheText(m, { dir: '/', files: [] })!);
  return file;
}

/** The user's awk may be any: Debian's default mawk, gawk (here `awk`), gawk held to POSIX. */
const AWKS = [['awk'], ['mawk'], ['gawk', '--posix']] as const;

function awk(
  cache: string,
  shell: 'zsh' | 'bash',
  words: readonly string[],
  [cmd, ...opts]: readonly string[] = ['awk'],
) {
  const env = { PATH: process.env.PATH, LC_ALL: 'C', FAB_COMP_SHELL: shell, FAB_COMP_LINE: `fab ${words.join(' ')}` };
  const args = [...opts, AWK_PROGRAM, cache, ...(shell === 'zsh' ? words : [])];
  const r = spawnSync(cmd!, args, { env, encoding: 'utf8' });
  expect(r.error).toBeUndefined();
  expect(r.stderr).toBe('');
  return r.stdout;
}

/** What `fab __complete` prints for the same words. */
function node(m: CompletionModel, shell: 'zsh' | 'bash', words: readonly string[]): string {
  const c = complete(words.length ? words : [''], m);
  return formatCompletion(c, shell === 'bash' ? forBash(c, words.at(-1) ?? '', BASH_WORDBREAKS) : c.words);
}

const usesFabfileOption = (words: readonly string[]) => words.slice(0, -1).some((w) => /^(-f|--fabfile)/.test(w));

describe('the awk path answers what complete.ts answers', () => {
  const cache = cacheOf(model);
  it.each(table)('%s', (_what, words) => {
    for (const shell of ['zsh', 'bash'] as const)
      for (const a of AWKS) {
        // -f FILE loads other fabfiles than the cached ones: only fab __complete knows them.
        const want = usesFabfileOption(words) ? ':miss\n' : node(model, shell, words);
        expect([shell, a, awk(cache, shell, words, a)]).toEqual([shell, a, want]);
      }
  });

  it('on 150 seeded random lines (each through one of the awks), with numeric host names and awk-looking words', () => {
    const m: CompletionModel = {
      ...model,
      hostSets: [...model.hostSets, { name: 'n', hosts: ['10', '9', 'w'], roles: [] }],
    };
    const numbered = cacheOf(m);
    const vocab = ['', 'stage', 'edge', 'n', 'deploy', 'app.deploy', 'status', 'db.status', 'backup', 'db.backup'];
    vocab.push('staging', 'production', 'fast', 'st', 'd', 'x', 'k=v', '--', '-', '--h', '--mode', '--mode=s');
    vocab.push('--env', '--dry-run-first', '--no-dry-run-first', '--keep', '3', '-H', '-Hw', '-x', '-R', '-PR');
    vocab.push('-P', '-z', '-u', '--hide', '--hide=running,s', '--hosts=web1,', 'web1,', '1', '-d', '--display=a');
    vocab.push('deploy:', 'deploy:mode=', 'deploy:staging,m', 'db.backup:keep=', 'resume', 'runs', 'completion');
    let seed = 42;
    const rand = (n: number) => ((seed = (seed * 1103515245 + 12345) % 2 ** 31), seed % n);
    const lines = Array.from({ length: 150 }, () =>
      Array.from({ length: 1 + rand(5) }, () => vocab[rand(vocab.length)]!),
    );
    const differ = lines.flatMap((words) =>
      (['zsh', 'bash'] as const).flatMap((shell) => {
        const a = AWKS[rand(AWKS.length)]!;
        const got = awk(numbered, shell, words, a);
        return got === node(m, shell, words) ? [] : [{ shell, awk: a, words, got, want: node(m, shell, words) }];
      }),
    );
    expect(differ).toEqual([]);
  });
});

describe('what the awk path leaves to fab __complete (:miss)', () => {
  const dynamic: CompletionModel = {
    ...model,
    hostSets: [...model.hostSets, { name: 'lab', hosts: ['lab1'], roles: ['app'], dynamic: true }],
  };
  const cache = cacheOf(dynamic);

  it('hosts and roles of a set computed at load time, when that set is among those offered', () => {
    expect(awk(cache, 'zsh', ['-H', ''])).toBe(':miss\n');
    expect(awk(cache, 'zsh', ['lab', '-R', ''])).toBe(':miss\n');
    expect(awk(cache, 'zsh', ['stage', '-H', 'w'])).toBe('web1\nweb2\n');
    expect(awk(cache, 'zsh', ['l'])).toBe('lab\n');
  });

  it('a bash line with quotes or backslashes, and -f FABFILE', () => {
    expect(awk(cache, 'bash', ["--set 'a b'", ''])).toBe(':miss\n');
    expect(awk(cache, 'bash', ['x\\ y', ''])).toBe(':miss\n');
    expect(awk(cache, 'zsh', ['--fabfile=other.ts', ''])).toBe(':miss\n');
  });

  it('a cache of another format, or an empty one', () => {
    const other = join(dir, 'other.tsv');
    writeFileSync(other, cacheText(model, { dir: '/', files: [] })!.replace(CACHE_FORMAT, 'fabts-complete\t0'));
    expect(awk(other, 'zsh', [''])).toBe(':miss\n');
    writeFileSync(other, '');
    expect(awk(other, 'zsh', [''])).toBe(':miss\n');
  });
});
