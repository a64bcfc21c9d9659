/**
 * The completion scripts, driven through the shells themselves: bash and zsh run interactively on a
 * pseudo-terminal (util-linux `script`), a line is typed with a Tab, then Ctrl-A and `echo BUF: `
 * turn the completed line into output; fish answers `complete -C` with its own completion machinery.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/fab.js';
import { typeWithTab } from '../helpers/shell-tab.js';

const PROJECT = `${REPO}test/fixtures/completion`;
// 16 Tabs, each a `fab __complete` process (~0.1 s idle, seconds when the 2 cores are busy with other suites).
const SHELL_BUDGET_MS = 180_000;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  // The scripts call `fab` from the PATH, as a user's shell would.
  const bin = mkdtempSync(join(tmpdir(), 'fab-complete-bin-'));
  symlinkSync(`${REPO}bin/fab.js`, join(bin, 'fab'));
  // vt100: zsh turns its line editor off on a dumb terminal.
  env = {
    ...process.env,
    PATH: `${bin}:${process.env.PATH}`,
    TERM: 'vt100',
    HOME: mkdtempSync(join(tmpdir(), 'fab-complete-home-')),
  };
  delete env.FAB_LAB_DIR;
});

// Typed -> the line after one Tab (a unique completion, followed by a space unless the word goes on) and Z.
const CASES: [string, string][] = [
  ['fab sta', 'fab stage '],
  ['fab stage db.b', 'fab stage db.backup '],
  ['fab app.dep', 'fab app.deploy '],
  ['fab --skip', 'fab --skip-bad-hosts '],
  ['fab stage -R d', 'fab stage -R db '],
  ['fab stage -H db', 'fab stage -H db1 '],
  ['fab stage -x web1,d', 'fab stage -x web1,db1 '],
  ['fab edge --hosts=l', 'fab edge --hosts=lb1 '],
  ['fab deploy staging --mo', 'fab deploy staging --mode '],
  ['fab deploy staging --dry-run-f', 'fab deploy staging --dry-run-first '],
  ['fab deploy staging --mode sa', 'fab deploy staging --mode safe '],
  ['fab deploy pro', 'fab deploy production '],
  ['fab --hide=ru', 'fab --hide=running '],
  ['fab deploy:mo', 'fab deploy:mode='],
  ['fab deploy:mode=f', 'fab deploy:mode=fast '],
  ['fab completion z', 'fab completion zsh '],
  ['fab -f fabf', 'fab -f fabfiles/'],
];

describe('fab completion bash', () => {
  it('registers _fab_complete for fab', () => {
    const r = spawnSync('bash', ['--norc', '--noprofile', '-c', 'source <(fab completion bash) && complete -p fab'], {
      cwd: PROJECT,
      env,
      encoding: 'utf8',
    });
    expect(r.stdout.trim()).toBe('complete -F _fab_complete fab');
  });

  it(
    'completes sets, tasks, options, --args, choices, roles, hosts and files in interactive bash',
    async () => {
      const got = await typeWithTab(
        { cwd: PROJECT, env, budgetMs: SHELL_BUDGET_MS },
        'bash --norc --noprofile -i',
        "PS1='$ '; source <(fab completion bash)",
        CASES.map((c) => c[0]),
      );
      expect(got).toEqual(CASES.map((c) => `${c[1]}Z`));
    },
    SHELL_BUDGET_MS,
  );
});

describe('fab completion zsh', () => {
  it(
    'completes sets, tasks, options, --args, choices, roles, hosts and files in interactive zsh',
    async () => {
      const got = await typeWithTab(
        { cwd: PROJECT, env, budgetMs: SHELL_BUDGET_MS },
        'zsh -f -i',
        "PS1='$ '; bindkey -e; autoload -Uz compinit; compinit -u -D; source <(fab completion zsh)",
        CASES.map((c) => c[0]),
      );
      expect(got).toEqual(CASES.map((c) => `${c[1]}Z`));
    },
    SHELL_BUDGET_MS,
  );
});

describe('fab completion fish', () => {
  const fish = (lines: string[]): string[][] => {
    const script = [
      'fab completion fish | source',
      ...lines.map((l) => `complete -C${JSON.stringify(l)}; echo ==`),
    ].join('\n');
    const r = spawnSync('fish', ['--no-config', '-c', script], { cwd: PROJECT, env, encoding: 'utf8' });
    return r.stdout
      .split('==\n')
      .slice(0, -1)
      .map((block) =>
        block
          .split('\n')
          .filter(Boolean)
          .map((l) => l.split('\t')[0]!),
      );
  };

  it("completes through fish's own machinery", () => {
    expect(
      fish([
        'fab ',
        'fab stage -H w',
        'fab stage -R ',
        'fab deploy staging --m',
        'fab deploy --mode ',
        'fab --hide=ru',
        'fab deploy:mo',
        'fab -f fabf',
      ]),
    ).toEqual([
      [
        'app.deploy',
        'app.status',
        'backup',
        'completion',
        'db.backup',
        'db.status',
        'deploy',
        'edge',
        'resume',
        'runs',
        'stage',
      ],
      ['web1', 'web2'],
      ['db', 'web'],
      ['--mode'],
      ['fast', 'safe'],
      ['--hide=running'],
      ['deploy:mode='],
      ['fabfiles/'],
    ]);
  });
});
