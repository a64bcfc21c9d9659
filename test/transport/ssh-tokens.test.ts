import { homedir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { TokenError, expandPath, expandTokens, type TokenValues } from '../../lib/transport/ssh-tokens.js';
import { splitArgs } from '../../lib/transport/sshconfig-parse.js';
import { matchList } from '../../lib/transport/sshconfig-eval.js';

const t: TokenValues = { host: 'h.example', alias: 'h', port: 2222, user: 'deploy', jump: 'bastion' };

describe('expandTokens', () => {
  it.each([
    ['%h:%p', 'IdentityFile', 'h.example:2222'],
    ['%r@%n', 'IdentityFile', 'deploy@h'],
    ['100%%', 'IdentityFile', '100%'],
    ['%j', 'IdentityFile', 'bastion'],
    ['%d/k', 'IdentityFile', `${homedir()}/k`],
    ['nc %h %p', 'ProxyCommand', 'nc h.example 2222'],
  ])('%s (%s) -> %s', (value, option, want) => {
    expect(expandTokens(value, t, option)).toBe(want);
  });

  it('refuses a token the option does not take, naming the option', () => {
    expect(() => expandTokens('nc %h %u', t, 'ProxyCommand')).toThrow(new TokenError('ProxyCommand', 'nc %h %u', '%u'));
    expect(() => expandTokens('key_%x', t, 'IdentityFile')).toThrow('ssh_config IdentityFile key_%x: unknown token %x');
  });

  it('expands ~ in paths', () => {
    expect(expandPath('~/.ssh/%n', t, 'IdentityFile')).toBe(`${homedir()}/.ssh/h`);
  });
});

describe('ssh_config words and patterns', () => {
  it.each([
    ['a b', ['a', 'b']],
    ['"a b" c', ['a b', 'c']],
    ["'x y'", ['x y']],
    ['a # comment', ['a']],
    ['"say \\"hi\\""', ['say "hi"']],
    ['  ', []],
  ])('splitArgs(%j)', (text, want) => {
    expect(splitArgs(text)).toEqual(want);
  });

  it('rejects an unterminated quote', () => {
    expect(() => splitArgs('"abc')).toThrow('unterminated quote');
  });

  it.each([
    ['web1', ['web*'], false, true],
    ['web1', ['!web1', '*'], false, false],
    ['WEB1', ['web1'], false, false],
    ['WEB1', ['web1'], true, true],
    ['db2', ['db?', 'x'], false, true],
    ['db10', ['db?'], false, false],
  ])('matchList(%s, %j, caseless %s) = %s', (text, list, caseless, want) => {
    expect(matchList(text, list, caseless)).toBe(want);
  });
});
