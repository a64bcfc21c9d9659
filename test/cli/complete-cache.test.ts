import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { cachePath, cacheText, watchList } from '../../lib/cli/complete-cache.js';
import { OPTIONS } from '../../lib/config/options.js';
import { hostSet } from '../../lib/model/hostset.js';
import { CACHE_FORMAT } from '../../lib/cli/complete-awk.js';

describe('cacheText(model, watch): the lines the shells read', () => {
  it('writes the watch list first, then options, groups, tasks with args and choices, sets, runs', () => {
    const text = cacheText(
      {
        tasks: [
          {
            name: 'app.deploy',
            shortName: 'deploy',
            args: [{ name: 'dryRun', kind: 'choice', required: true, choices: ['a', 'b'] }],
          },
        ],
        hostSets: [
          { name: 'stage', hosts: ['web1'], roles: ['web'] },
          { name: 'lab', hosts: ['lab1'], roles: ['app'], dynamic: true },
        ],
        runIds: ['r1'],
      },
      { dir: '/p', files: ['/p', '/p/fabfiles/app.ts'] },
    )!;
    const lines = text.split('\n');
    expect(lines.slice(0, 4)).toEqual([CACHE_FORMAT, 'd\t/p', 'w\t/p', 'w\t/p/fabfiles/app.ts']);
    expect(lines).toContain('o\thosts\tH\tlist\thosts');
    expect(lines).toContain('o\tskip-bad-hosts\t\tflag\tskipBadHosts');
    expect(lines.filter((l) => l.startsWith('o\t'))).toHaveLength(OPTIONS.length);
    expect(lines).toContain('g\tstdout');
    // The hosts and roles of a set computed at load time are left out: the awk path asks fab for them.
    expect(lines.slice(lines.indexOf('t\tapp.deploy\tdeploy'))).toEqual([
      't\tapp.deploy\tdeploy',
      'r\tdryRun\tdry-run\tchoice\t1',
      'c\ta',
      'c\tb',
      's\tstage\t0',
      'h\tweb1',
      'l\tweb',
      's\tlab\t1',
      'u\tr1',
      '',
    ]);
  });

  it('then what function-defined host sets declared: files that must stay absent, variables set or unset', () => {
    const text = cacheText(
      { tasks: [], hostSets: [] },
      {
        dir: '/p',
        files: ['/p'],
        absent: ['/lab/lab.json'],
        env: [
          ['LAB', '/lab'],
          ['OTHER', undefined],
        ],
      },
    )!;
    expect(text.split('\n').slice(0, 6)).toEqual([
      CACHE_FORMAT,
      'd\t/p',
      'w\t/p',
      'a\t/lab/lab.json',
      'e\tLAB\t/lab',
      'E\tOTHER',
    ]);
  });

  it('writes no cache when a word would break a tab-separated line', () => {
    const model = { tasks: [], hostSets: [{ name: 'odd', hosts: ['a\tb'], roles: [] }] };
    expect(cacheText(model, { dir: '/p', files: [] })).toBeUndefined();
    expect(cacheText({ tasks: [], hostSets: [] }, { dir: '/p', files: ['/p/new\nline'] })).toBeUndefined();
    expect(cacheText({ tasks: [], hostSets: [] }, { dir: '/p', files: [], env: [['V', 'a\tb']] })).toBeUndefined();
  });
});

describe('cachePath(env, pwd)', () => {
  it("mirrors the shell's $PWD under ${XDG_CACHE_HOME:-$HOME/.cache}", () => {
    expect(cachePath({ HOME: '/h' }, '/w/p')).toBe('/h/.cache/fabts/complete/w/p/_fab-complete.tsv');
    expect(cachePath({ HOME: '/h', XDG_CACHE_HOME: '' }, '/w')).toBe('/h/.cache/fabts/complete/w/_fab-complete.tsv');
    expect(cachePath({ HOME: '/h', XDG_CACHE_HOME: '/c' }, '/w')).toBe('/c/fabts/complete/w/_fab-complete.tsv');
  });
});

describe('watchList(cwd, root, modules)', () => {
  it('folders from the cwd up to the root, fabfiles/, hosts/, .fab/runs, local modules and packages, not fabts', () => {
    const root = mkdtempSync(join(tmpdir(), 'fab-watch-'));
    for (const d of ['fabfiles', 'hosts', '.fab/runs', 'sub/deeper']) mkdirSync(join(root, d), { recursive: true });
    writeFileSync(join(root, 'fabfiles', 'app.ts'), '');
    const modules = [
      join(root, 'fabfiles', 'app.ts'),
      join(root, 'lib', 'shared.ts'),
      '/opt/fabts/dist/lib/index.js',
      join(root, 'node_modules', 'x', 'index.js'),
    ];
    const got = watchList(join(root, 'sub', 'deeper'), root, modules, '/opt/fabts/');
    expect(got.filter((f) => !f.includes('/dist/lib/'))).toEqual([
      join(root, 'sub', 'deeper'),
      join(root, 'sub'),
      root,
      join(root, 'fabfiles'),
      join(root, 'hosts'),
      join(root, '.fab'),
      join(root, '.fab', 'runs'),
      join(root, 'fabfiles', 'app.ts'),
      join(root, 'lib', 'shared.ts'),
      join(root, 'node_modules'),
    ]);
  });

  it('no project: every folder up to /, where a fabfile could appear', () => {
    expect(watchList('/a/b', undefined, [], '/opt/fabts/').slice(0, 3)).toEqual(['/a/b', '/a', '/']);
  });
});

describe('hostSet(def, description | { description, inputs })', () => {
  it('marks a set defined by a function dynamic, keeps the inputs it declares, and the description either way', () => {
    const inputs = () => ({ files: ['/lab/lab.json'], env: ['LAB'] });
    const declared = hostSet(() => ({ hosts: {} }), { description: 'the lab', inputs });
    expect([declared.dynamic, declared.inputs, declared.description]).toEqual([true, inputs, 'the lab']);
    const bare = hostSet(() => ({ hosts: {} }), 'computed');
    expect([bare.dynamic, bare.inputs, bare.description]).toEqual([true, undefined, 'computed']);
    // A literal set is its own input: nothing to declare, nothing kept.
    const literal = hostSet({ hosts: { a: {} }, description: 'static' }, { inputs });
    expect([literal.dynamic, literal.inputs, literal.description]).toEqual([undefined, undefined, 'static']);
  });
});
