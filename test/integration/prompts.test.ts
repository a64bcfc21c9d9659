import { existsSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { FIXTURES, REPO, fabLab } from '../helpers/fab.js';
import { runOnTty } from '../helpers/tty.js';
import { testLab, testLabDir } from '../lab/shared.js';

const HOSTS = ['web4', 'web5'];
const file = (h: string, name: string) => join(testLab().hosts[h]!.root, 'srv', name);
const onTty = (args: string[], prompt: RegExp, answers: string[]) =>
  runOnTty(['node', `${REPO}bin/fab.js`, '-f', FIXTURES, 'lab', '-H', HOSTS.join(','), ...args].join(' '), {
    env: { ...process.env, FAB_LAB_DIR: testLabDir(), NO_COLOR: '1' },
    prompt,
    answers,
  });

beforeEach(() => {
  for (const h of HOSTS)
    for (const f of ['ask-release.out', 'ask-colour.out', 'guarded.out']) rmSync(file(h, f), { force: true });
});

describe('prompt() without a terminal', () => {
  it('fails at once, naming the question and the --set that answers it; no host is touched', async () => {
    const r = await fabLab(['-H', HOSTS.join(','), 'askRelease']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(
      /prompt "Release name\?" needs an answer and there is no terminal[\s\S]*--set release=VALUE/,
    );
    for (const h of HOSTS) expect(existsSync(file(h, 'ask-release.out'))).toBe(false);
  });

  it('takes the answer from --set, validated', async () => {
    const ok = await fabLab(['-H', HOSTS.join(','), '--set', 'release=v7', 'askRelease']);
    expect(ok.code).toBe(0);
    for (const h of HOSTS) expect(readFileSync(file(h, 'ask-release.out'), 'utf8')).toBe('v7');
    const bad = await fabLab(['-H', 'web4', '--set', 'release=seven', 'askRelease']);
    expect(bad.code).toBe(2);
    expect(bad.stdout + bad.stderr).toMatch(/--set release= "seven": the answer must match/);
  });

  it('uses the default; a prompt without key or default says how to make it answerable', async () => {
    expect((await fabLab(['-H', 'web4', 'askColour'])).code).toBe(0);
    expect(readFileSync(file('web4', 'ask-colour.out'), 'utf8')).toBe('blue');
    const r = await fabLab(['-H', 'web4', 'askNoKey']);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/Favourite number\?[\s\S]*give the prompt a key/);
  });

  it('a confirm guard refuses without --yes, before any host runs; --yes answers it', async () => {
    const r = await fabLab(['-H', HOSTS.join(','), 'guardedTouch']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/confirmation "Touch web4, web5\?" needs an answer[\s\S]*--yes/);
    for (const h of HOSTS) expect(existsSync(file(h, 'guarded.out'))).toBe(false);
    const y = await fabLab(['-H', HOSTS.join(','), '--yes', 'guardedTouch']);
    expect(y.code).toBe(0);
    for (const h of HOSTS) expect(existsSync(file(h, 'guarded.out'))).toBe(true);
  });
});

describe('prompts on a terminal', () => {
  it('asks once per run for all hosts, re-asks after a bad answer', async () => {
    const r = await onTty(['askRelease'], /Release name\? /, ['nope', 'v9']);
    expect(r.code).toBe(0);
    expect(r.out.match(/Release name\? /g)).toHaveLength(2);
    expect(r.out).toContain('the answer must match');
    for (const h of HOSTS) expect(readFileSync(file(h, 'ask-release.out'), 'utf8')).toBe('v9');
  });

  it('asks per host when the fabfile says so', async () => {
    const r = await onTty(['askWeight'], /Weight\? /, ['3', '5']);
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/\[web4\] Weight\?/);
    expect(r.out).toMatch(/\[web5\] Weight\?/);
    expect(r.out).toMatch(/\[web4\] weight 3/);
    expect(r.out).toMatch(/\[web5\] weight 5/);
  });

  it('hides a hidden answer and masks it in the output', async () => {
    const r = await onTty(['-P', 'askSecret'], /Token\? /, ['sekrit-42']);
    expect(r.code).toBe(0);
    expect(r.out.match(/Token\? /g)).toHaveLength(1);
    expect(r.out).not.toContain('sekrit-42');
    expect(r.out).toMatch(/the token is \*+/);
  });

  it('a confirm guard answered no runs nothing; confirm() + abort() stop the task', async () => {
    const no = await onTty(['guardedTouch'], /Touch web4, web5\? \[y\/n\] /, ['n']);
    expect(no.code).toBe(1);
    expect(no.out).toContain('not confirmed: Touch web4, web5? (nothing was run)');
    for (const h of HOSTS) expect(existsSync(file(h, 'guarded.out'))).toBe(false);
    const yes = await onTty(['guardedTouch'], /Touch web4, web5\? /, ['y']);
    expect(yes.code).toBe(0);
    for (const h of HOSTS) expect(existsSync(file(h, 'guarded.out'))).toBe(true);
    const sure = await onTty(['askSure'], /Really wipe the cache\? /, ['no']);
    expect(sure.code).toBe(1);
    expect(sure.out).toContain('the operator said no');
    expect(sure.out).not.toContain('wiping');
  });
});
