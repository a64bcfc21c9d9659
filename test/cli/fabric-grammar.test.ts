import { describe, expect, it } from 'vitest';
import { parseSetOption, parseTaskWord } from '../../lib/cli/fabric-grammar.js';
import { UsageError } from '../../lib/errors.js';

describe('Fabric task:args grammar', () => {
  it('splits positional and keyword args', () => {
    expect(parseTaskWord('deploy:1.2.3,force=true')).toEqual({
      name: 'deploy',
      positional: ['1.2.3'],
      named: { force: 'true' },
    });
  });

  it('honours \\, and \\= escapes and keeps other backslashes', () => {
    expect(parseTaskWord('t:a\\,b,k=x\\=y,p=c:\\dir')).toEqual({
      name: 't',
      positional: ['a,b'],
      named: { k: 'x=y', p: 'c:\\dir' },
    });
  });

  it('keeps everything after the first = in the value', () => {
    expect(parseTaskWord('t:q=a=b').named).toEqual({ q: 'a=b' });
  });

  it('reads the reserved host/role keywords', () => {
    expect(parseTaskWord('t:x,hosts=a;b,role=web,exclude_hosts=c')).toEqual({
      name: 't',
      positional: ['x'],
      named: {},
      hosts: ['a', 'b'],
      roles: ['web'],
      excludeHosts: ['c'],
    });
  });

  it('rejects malformed words with a usage error', () => {
    expect(() => parseTaskWord(':x')).toThrow(UsageError);
    expect(() => parseTaskWord('t:=v')).toThrow(/empty name/);
    expect(() => parseTaskWord('t:k=1,k=2')).toThrow(/given twice/);
  });

  it('parses --set like Fabric: a bare key is true', () => {
    expect(parseSetOption('a=1,flag,b=x\\,y')).toEqual({ a: '1', flag: 'true', b: 'x,y' });
  });
});
