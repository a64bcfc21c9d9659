import { describe, expect, it } from 'vitest';
import { rawTarget } from '../../lib/exec/connections.js';
import { globRe, isGlob, parseHostSpec } from '../../lib/exec/host-pattern.js';

describe('host patterns', () => {
  it('treats only * and ? as wildcards; brackets, dots and the rest are literal', () => {
    expect(isGlob('web*')).toBe(true);
    expect(isGlob('web[12]')).toBe(false);
    expect(globRe('web?.example.com').test('web1.example.com')).toBe(true);
    expect(globRe('web?.example.com').test('web1xexample.com')).toBe(false);
    expect(globRe('[web]*').test('[web]1')).toBe(true);
    expect(globRe('[web]*').test('web1')).toBe(false);
    expect(() => globRe('[::1*')).not.toThrow();
  });

  it.each([
    ['web1', { host: 'web1' }],
    ['deploy@web1:2222', { user: 'deploy', host: 'web1', port: 2222 }],
    ['[::1]', { host: '::1' }],
    ['deploy@[::1]:2222', { user: 'deploy', host: '::1', port: 2222 }],
    ['[2001:db8::5]:22', { host: '2001:db8::5', port: 22 }],
  ])('parses %s', (spec, want) => {
    expect(parseHostSpec(spec)).toEqual(want);
  });

  it.each([
    ['[::1', /unbalanced or misplaced brackets/],
    ['::1', /an IPv6 address needs brackets/],
    ['web[1]', /brackets belong only around an IPv6 address/],
    ['h:99999', /port "99999" is not a port number[\s\S]*fix: use a port from 1 to 65535/],
    ['h:0', /port "0"/],
    ['h:', /port ""/],
    ['@h', /empty user/],
  ])('refuses %s as a usage error', (spec, message) => {
    expect(() => parseHostSpec(spec)).toThrow(message);
    try {
      parseHostSpec(spec);
    } catch (err) {
      expect((err as { exitCode: number }).exitCode).toBe(2);
    }
  });

  it('makes a raw target of a bracketed IPv6 address', () => {
    expect(rawTarget('deploy@[::1]:2222')).toMatchObject({
      name: 'deploy@[::1]:2222',
      address: '::1',
      user: 'deploy',
      port: 2222,
    });
  });
});
