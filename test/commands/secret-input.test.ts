import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { join, raw, secret, sh, type ShellCommand } from '../../lib/commands/quote.js';
import { secretProblem, secretStdin, withSecretInput } from '../../lib/commands/secret-input.js';
import { sudoWrap } from '../../lib/run/scope.js';

// Names are unique in the process, so each case reads them from its secrets.
const a = secret("pa ss'w $HOME");
const b = secret('tok\\en');
const A = a.name;
const B = b.name;

describe('withSecretInput + secretStdin: input -> exact command and stdin prefix', () => {
  const cases: { name: string; cmd: ShellCommand; text: string; display: string; stdin: string }[] = [
    { name: 'no secret: unchanged', cmd: sh`echo ${'a b'}`, text: `echo 'a b'`, display: `echo 'a b'`, stdin: '' },
    {
      name: 'one secret',
      cmd: sh`mysql -p${a} -e ${'select 1'}`,
      text: `IFS= read -r ${A} || exit 125; mysql -p"$${A}" -e 'select 1'`,
      display: `IFS= read -r ${A} || exit 125; mysql -p*** -e 'select 1'`,
      stdin: "pa ss'w $HOME\n",
    },
    {
      name: 'two secrets, one used twice, in an array',
      cmd: sh`f ${a} ${[b, 'x']} ${a}`,
      text: `IFS= read -r ${A} && IFS= read -r ${B} || exit 125; f "$${A}" "$${B}" x "$${A}"`,
      display: `IFS= read -r ${A} && IFS= read -r ${B} || exit 125; f *** *** x ***`,
      stdin: "pa ss'w $HOME\ntok\\en\n",
    },
    {
      name: 'nested sh and join keep the secrets',
      cmd: join([raw('cd /srv'), sh`g ${sh`-k ${b}`}`], ' && '),
      text: `IFS= read -r ${B} || exit 125; cd /srv && g -k "$${B}"`,
      display: `IFS= read -r ${B} || exit 125; cd /srv && g -k ***`,
      stdin: 'tok\\en\n',
    },
  ];
  it.each(cases)('$name', ({ cmd, text, display, stdin }) => {
    const c = withSecretInput(cmd);
    expect(c.text).toBe(text);
    expect(c.display).toBe(display);
    expect(secretStdin(c)).toBe(stdin);
    expect(c.text).not.toContain('pa ss');
    expect(c.secrets).toEqual([]);
  });

  it('reads the values in a real sh, and leaves the stdin after them to the command', () => {
    const c = withSecretInput(sh`printf '[%s]' ${a} ${b}; cat`);
    const out = execFileSync('/bin/sh', ['-c', c.text], { input: `${secretStdin(c)}rest\nof it` });
    expect(out.toString()).toBe(`[pa ss'w $HOME][tok\\en]rest\nof it`);
  });

  it('does not run the command when the values never arrive', () => {
    const c = withSecretInput(sh`echo ran ${a}`);
    expect(() => execFileSync('/bin/sh', ['-c', c.text], { input: '' })).toThrow(/status 125|code 125|125/);
  });

  it('puts the reads inside the sudo shell, after the start marker', () => {
    const w = sudoWrap(sh`tool ${a}`, { user: 'app' }, { prompt: 'P: ', start: 'S1' });
    const inner = `printf '%s\\n' S1 >&2 && IFS= read -r ${A} || exit 125; tool "$${A}"`;
    expect(w.text).toBe(`sudo -S -p 'P: ' -H -u app -- sh -c '${inner.replace(/'/g, `'\\''`)}'`);
    expect(w.input).toEqual([a]);
    expect(w.secrets).toEqual([]);
    expect(withSecretInput(w)).toBe(w);
    expect(secretStdin(w)).toBe("pa ss'w $HOME\n");
  });

  it('refuses a value that does not fit on one line, naming the command and the fix', () => {
    for (const [bad, what] of [
      ['two\nlines', 'newline'],
      ['nul\0byte', 'NUL byte'],
    ]) {
      const c = withSecretInput(sh`tool ${secret('ok-1')} ${secret(bad!)}`);
      const p = secretProblem(c, { pty: false });
      expect(p?.message).toBe(
        `secret() #2 of \`${c.display}\` contains a ${what}: a secret reaches the command as one line of its stdin`,
      );
      expect(p?.fix).toBe(
        "pass a multi-line value as the command's own stdin (.stdin(value)) or in a 0600 file (put with mode 0o600)",
      );
      expect(JSON.stringify(secretProblem(c, { pty: false }))).not.toContain('lines');
    }
    expect(secretProblem(withSecretInput(sh`tool ${a} ${b}`), { pty: true })).toBeUndefined();
  });

  it('under a pty, refuses control characters and lines longer than a terminal reads', () => {
    const ctl = withSecretInput(sh`tool ${secret('a\u0003b')}`);
    expect(secretProblem(ctl, { pty: true })?.message).toMatch(/#1 .* contains a control character.*pty/);
    expect(secretProblem(ctl, { pty: false })).toBeUndefined();
    expect(secretProblem(withSecretInput(sh`t ${secret('a\tb')}`), { pty: true })).toBeUndefined();
    const long = withSecretInput(sh`tool ${secret('x'.repeat(4096))}`);
    expect(secretProblem(long, { pty: true })?.message).toMatch(/is 4096 bytes.*at most 4095/);
    expect(secretProblem(withSecretInput(sh`tool ${secret('x'.repeat(4095))}`), { pty: true })).toBeUndefined();
  });

  it('refuses to nest a command that already reads its secrets', () => {
    expect(() => sh`x ${withSecretInput(sh`y ${a}`)}`).toThrow(/cannot be nested/);
  });
});
