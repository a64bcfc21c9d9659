import { describe, expect, it } from 'vitest';
import { REPO, fab } from '../helpers/fab.js';

const PROJECT = `${REPO}test/fixtures/completion`;

describe('fab completion and fab __complete (the real command)', () => {
  it("prints each shell's script; an unknown shell is exit 2 with the fix", async () => {
    for (const [shell, marker] of [
      ['bash', 'complete -F _fab_complete fab'],
      ['zsh', '#compdef fab'],
      ['fish', "complete -c fab -f -a '(__fab_complete)'"],
    ]) {
      const r = await fab(['completion', shell!]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(marker);
      expect(r.stdout).toContain('fab __complete');
    }
    const bad = await fab(['completion', 'tcsh']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('fix: write fab completion bash, fab completion zsh or fab completion fish');
  });

  it('answers from the fabfiles and host sets of the current directory', async () => {
    const r = await fab(['__complete', 'zsh', '--', 'stage', '-H', 'w'], { cwd: PROJECT });
    expect(r).toMatchObject({ code: 0, stdout: 'web1\nweb2\n', stderr: '' });
    const bash = await fab(['__complete', 'bash', '--', 'fab deploy:mo'], { cwd: PROJECT });
    expect(bash.stdout).toBe(':nospace\nmode=\n');
  });

  it('a fabfile that does not load still completes options and host sets, silently', async () => {
    const r = await fab(['__complete', 'zsh', '--', '-f', `${REPO}test/fixtures/broken-syntax`, '--hid'], {
      cwd: PROJECT,
    });
    expect(r).toMatchObject({ code: 0, stdout: '--hide\n', stderr: '' });
  });
});
