import { execFileSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { quote, secret, sh } from '../../lib/commands/quote.js';

// Every hostile value must reach the program as exactly one argument, byte for byte.
const HOSTILE = [
  `it's`,
  `"double"`,
  '$(touch /tmp/pwned)',
  '`id`',
  'a b\tc',
  'line1\nline2',
  '',
  '-n',
  'back\\slash',
  '*',
  '~root',
  '&;|<>',
  "'",
  "''",
];

const echoBack = (cmd: string): string[] =>
  JSON.parse(
    execFileSync('/bin/sh', [
      '-c',
      `node -e 'console.log(JSON.stringify(process.argv.slice(1)))' -- ${cmd}`,
    ]).toString(),
  ) as string[];

describe('quote', () => {
  it('leaves safe words bare and quotes everything else', () => {
    expect(quote('web1.example.com')).toBe('web1.example.com');
    expect(quote('/etc/nginx/nginx.conf')).toBe('/etc/nginx/nginx.conf');
    expect(quote('a b')).toBe(`'a b'`);
    expect(quote(`it's`)).toBe(`'it'\\''s'`);
    expect(quote('')).toBe(`''`);
  });

  it.each(HOSTILE)('round-trips %j through a real shell', (value) => {
    expect(echoBack(quote(value))).toEqual([value]);
  });
});

describe('sh tag', () => {
  it('quotes every interpolated value, arrays as several words', () => {
    const cmd = sh`mv -f ${'a b'} ${["it's", '$(x)']}`;
    expect(cmd.text).toBe(`mv -f 'a b' 'it'\\''s' '$(x)'`);
    expect(echoBack(sh`${HOSTILE}`.text)).toEqual(HOSTILE);
  });

  it('masks secrets in the display form, and keeps their values out of the text', () => {
    const s = secret("pa ss'w");
    const cmd = sh`mysql -p${s} -e ${'select 1'}`;
    expect(cmd.display).toBe(`mysql -p*** -e 'select 1'`);
    expect(cmd.text).toBe(`mysql -p"$${s.name}" -e 'select 1'`);
    expect(cmd.secrets).toEqual([s]);
    expect(JSON.stringify({ s: secret('hunter2') })).not.toContain('hunter2');
  });

  it('inserts a nested sh command as is', () => {
    const inner = sh`echo ${'a b'}`;
    expect(sh`sudo ${inner}`.text).toBe(`sudo echo 'a b'`);
  });
});
