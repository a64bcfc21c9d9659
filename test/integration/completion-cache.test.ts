/**
 * The warm Tab without Node, driven through the shells: a `fab` on the PATH that logs each call shows
 * that a Tab answered from the cache started no fab (no Node), and that after a task is added to a
 * fabfile, a host to a host file or a new fabfile appears, the next Tab asks fab and shows it.
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync } from 'node:fs';
import { statSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/fab.js';
import { typeWithTab } from '../helpers/shell-tab.js';

const BUDGET_MS = 180_000;
let project: string;
let log: string;
let env: NodeJS.ProcessEnv;

/** Every file and folder an hour old, as in a project nobody edited in the last second. */
function age(path: string): void {
  const then = Date.now() / 1000 - 3600;
  if (statSync(path).isDirectory()) for (const f of readdirSync(path)) age(join(path, f));
  utimesSync(path, then, then);
}

beforeEach(() => {
  const tmp = mkdtempSync(join(tmpdir(), 'fab-complete-cache-'));
  project = join(tmp, 'project');
  cpSync(`${REPO}test/fixtures/completion`, project, { recursive: true });
  age(project);
  log = join(tmp, 'fab-calls.log');
  writeFileSync(log, '');
  const bin = join(tmp, 'bin');
  mkdirSync(bin);
  writeFileSync(
    join(bin, 'fab'),
    `#!/bin/sh\necho "$*" >> '${log}'\nexec '${process.execPath}' '${REPO}bin/fab.js' "$@"\n`,
  );
  chmodSync(join(bin, 'fab'), 0o755);
  env = { ...process.env, PATH: `${bin}:${process.env.PATH}`, TERM: 'vt100', HOME: join(tmp, 'home') };
  delete env.XDG_CACHE_HOME;
  delete env.FAB_LAB_DIR;
});

const calls = () =>
  readFileSync(log, 'utf8')
    .split('\n')
    .filter((l) => l.startsWith('__complete'));

const BASH = ['bash --norc --noprofile -i', "PS1='$ '; source <(fab completion bash)"] as const;
const ZSH = [
  'zsh -f -i',
  "PS1='$ '; bindkey -e; autoload -Uz compinit; compinit -u -D; source <(fab completion zsh)",
] as const;

describe.each([
  ['bash', BASH],
  ['zsh', ZSH],
])('%s: the cache', (_name, [shell, setup]) => {
  const type = (lines: (string | (() => void))[]) =>
    typeWithTab({ cwd: project, env, budgetMs: BUDGET_MS }, shell, setup, lines);

  it(
    'a warm Tab answers from the cache: no fab, no Node',
    async () => {
      let afterWarmUp: string[] = [];
      const got = await type([
        'fab sta',
        () => (afterWarmUp = calls()),
        'fab stage -H db',
        'fab deploy staging --mo',
        'fab deploy pro',
        'fab deploy:mode=f',
        'fab --hide=ru',
        'fab edge -R l',
      ]);
      expect(got).toEqual([
        'fab stage Z',
        'fab stage -H db1 Z',
        'fab deploy staging --mode Z',
        'fab deploy production Z',
        'fab deploy:mode=fast Z',
        'fab --hide=running Z',
        'fab edge -R lb Z',
      ]);
      // The first Tab had no cache: fab __complete answered and wrote it. The others started nothing.
      expect(afterWarmUp).toEqual([expect.stringMatching(/^__complete /)]);
      expect(calls()).toEqual(afterWarmUp);
    },
    BUDGET_MS,
  );

  it(
    'a task, a host or a fabfile added since is on the next Tab (never a stale answer)',
    async () => {
      const got = await type([
        'fab sta',
        'fab newT',
        () => appendFileSync(join(project, 'fabfiles', 'db.ts'), 'export const newTask = task({}, async () => {});\n'),
        'fab newT',
        'fab stage -H newh',
        () => {
          const hosts = join(project, 'hosts', 'stage.ts');
          writeFileSync(hosts, readFileSync(hosts, 'utf8').replace("db1: { roles: ['db'] }", 'db1: {}, newhost1: {}'));
        },
        'fab stage -H newh',
        'fab extraT',
        () =>
          writeFileSync(
            join(project, 'fabfiles', 'extra.ts'),
            "import { task } from 'fabts';\nexport const extraTask = task({}, async () => {});\n",
          ),
        'fab extraT',
      ]);
      expect(got).toEqual([
        'fab stage Z',
        'fab newTZ',
        'fab newTask Z',
        'fab stage -H newhZ',
        'fab stage -H newhost1 Z',
        'fab extraTZ',
        'fab extraTask Z',
      ]);
    },
    BUDGET_MS,
  );
});

const DYN = `import { readFileSync } from 'node:fs';
import { hostSet } from 'fabts';

const file = () => \`\${process.env.DYN_DIR}/dyn.json\`;
const hosts = () => JSON.parse(readFileSync(file(), 'utf8')) as string[];
export const dyn = hostSet(() => ({ hosts: Object.fromEntries(hosts().map((h) => [h, {}])) }), {
  inputs: () => ({ files: [file()], env: ['DYN_DIR'] }),
});
export const wild = hostSet(() => ({ hosts: { wildhost: {} } }));
export const broken = hostSet(() => ({ hosts: { brokenhost: {} } }), {
  inputs: () => {
    throw new Error('no idea');
  },
});
`;

describe.each([
  ['bash', BASH],
  ['zsh', ZSH],
])('%s: host sets computed at load time', (_name, [shell, setup]) => {
  it(
    'cached while the files and variables they declared are unchanged; never cached when they declared nothing',
    async () => {
      writeFileSync(join(project, 'hosts', 'dyn.ts'), DYN);
      const dirs = ['a', 'b', 'c'].map((d) => join(project, '..', `dyn-${d}`));
      dirs.forEach((d) => mkdirSync(d));
      writeFileSync(join(dirs[0]!, 'dyn.json'), '["alpha1"]');
      writeFileSync(join(dirs[1]!, 'dyn.json'), '["gamma1"]');
      age(project);
      age(dirs[0]!);
      const type = (dir: string, lines: (string | (() => void))[]) =>
        typeWithTab({ cwd: project, env: { ...env, DYN_DIR: dir }, budgetMs: BUDGET_MS }, shell, setup, lines);
      let n: number[] = [];
      const count = () => n.push(calls().length);
      const first = await type(dirs[0]!, [
        'fab dyn -H al',
        count,
        'fab dyn -H al',
        count,
        'fab wild -H wi',
        count,
        'fab broken -H br',
        count,
        () => writeFileSync(join(dirs[0]!, 'dyn.json'), '["alpha1", "beta1"]'),
        'fab dyn -H be',
      ]);
      expect(first).toEqual([
        'fab dyn -H alpha1 Z',
        'fab dyn -H alpha1 Z',
        'fab wild -H wildhost Z',
        'fab broken -H brokenhost Z',
        'fab dyn -H beta1 Z',
      ]);
      // The declared set answered from the cache; the undeclared one, and one whose declaration fails, started fab.
      expect(n).toEqual([1, 1, 2, 3]);
      // Another DYN_DIR: the cache written with the first one is not used.
      expect(await type(dirs[1]!, ['fab dyn -H ga'])).toEqual(['fab dyn -H gamma1 Z']);
      // A declared file that was absent and appears.
      const appear = () => writeFileSync(join(dirs[2]!, 'dyn.json'), '["delta1"]');
      expect(await type(dirs[2]!, ['fab dyn -H de', 'fab dyn -H de', appear, 'fab dyn -H de'])).toEqual([
        'fab dyn -H deZ',
        'fab dyn -H deZ',
        'fab dyn -H delta1 Z',
      ]);
    },
    BUDGET_MS,
  );
});

describe('fish: the cache', () => {
  it('answers a warm Tab without fab, and sees a task added since', () => {
    const fish = (lines: string[]) =>
      spawnSync(
        'fish',
        [
          '--no-config',
          '-c',
          ['fab completion fish | source', ...lines.map((l) => `complete -C${JSON.stringify(l)}; echo ==`)].join('\n'),
        ],
        { cwd: project, env, encoding: 'utf8' },
      )
        .stdout.split('==\n')
        .slice(0, -1)
        .map((b) => b.split('\n').filter(Boolean));
    expect(fish(['fab sta'])).toEqual([['stage']]);
    const warm = calls();
    expect(fish(['fab stage -H w', 'fab deploy --mode '])).toEqual([
      ['web1', 'web2'],
      ['fast', 'safe'],
    ]);
    expect(calls()).toEqual(warm);
    appendFileSync(join(project, 'fabfiles', 'db.ts'), 'export const newTask = task({}, async () => {});\n');
    expect(fish(['fab newT'])).toEqual([['newTask']]);
  });
});
