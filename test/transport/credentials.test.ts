import { describe, expect, it } from 'vitest';
import { secret } from '../../lib/commands/quote.js';
import { Credentials } from '../../lib/transport/credentials.js';

/** A terminal double: records questions, answers from a list, one at a time (overlap is recorded). */
function terminal(answers: string[]) {
  const asked: string[] = [];
  let open = 0;
  let overlapped = false;
  const ask = async (q: string): Promise<string> => {
    asked.push(q);
    if (open++) overlapped = true;
    await new Promise((r) => setTimeout(r, 5));
    open--;
    return answers.shift() ?? '';
  };
  return { ask, asked, overlapped: () => overlapped };
}

describe('Credentials', () => {
  it('asks for the password once, however many hosts want it at once; registers it as a secret', async () => {
    const t = terminal(['hunter22']);
    const secrets: string[] = [];
    const c = new Credentials({ passwordAuth: true, ask: t.ask, addSecret: (v) => secrets.push(v) });
    const got = await Promise.all(['u', 'u', 'u', 'u'].map((u) => c.password(u)));
    expect(got).toEqual(['hunter22', 'hunter22', 'hunter22', 'hunter22']);
    expect(t.asked).toEqual(['password for u: ']);
    expect(secrets).toEqual(['hunter22']);
  });

  it('uses a given password without asking; no password logins unless asked for', async () => {
    const t = terminal([]);
    expect(
      await new Credentials({
        passwordAuth: false,
        password: secret('given'),
        ask: t.ask,
        addSecret: () => undefined,
      }).password('u'),
    ).toBe('given');
    expect(
      await new Credentials({ passwordAuth: false, ask: t.ask, addSecret: () => undefined }).password('u'),
    ).toBeUndefined();
    expect(await new Credentials({ passwordAuth: true, addSecret: () => undefined }).password('u')).toBeUndefined();
    expect(t.asked).toEqual([]);
  });

  it('asks once per key, again after a wrong answer, never two questions at once', async () => {
    const t = terminal(['typo', 'k1-phrase', 'k2-phrase']);
    const c = new Credentials({ passwordAuth: false, ask: t.ask, addSecret: () => undefined });
    const right: Record<string, string> = { '/k1': 'k1-phrase', '/k2': 'k2-phrase' };
    const check = (key: string) => (p: string) => p === right[key];
    const got = await Promise.all(['/k1', '/k2', '/k1', '/k2'].map((k) => c.passphrase(k, check(k))));
    expect(got).toEqual(['k1-phrase', 'k2-phrase', 'k1-phrase', 'k2-phrase']);
    expect(t.asked).toEqual([
      'passphrase for key /k1: ',
      'wrong passphrase, again for /k1: ',
      'passphrase for key /k2: ',
    ]);
    expect(t.overlapped()).toBe(false);
  });

  it('gives up on a key after 3 wrong answers; without a terminal there is nobody to ask', async () => {
    const t = terminal(['a', 'b', 'c']);
    const c = new Credentials({ passwordAuth: false, ask: t.ask, addSecret: () => undefined });
    await expect(c.passphrase('/k', () => false)).rejects.toThrow('3 wrong passphrases for key /k');
    expect(
      new Credentials({ passwordAuth: false, addSecret: () => undefined }).passphrase('/k', () => true),
    ).toBeUndefined();
  });
});
