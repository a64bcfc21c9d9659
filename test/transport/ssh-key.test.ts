import { mkdtempSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import ssh2, { type ParsedKey } from 'ssh2';
import { describe, expect, it } from 'vitest';
import { withKeyObject } from '../../lib/transport/ssh-key.js';
import { loadKnownHosts } from '../../lib/transport/knownhosts.js';

const { utils } = ssh2;
const parse = (text: string): ParsedKey => {
  const k = utils.parseKey(text);
  if (k instanceof Error) throw k;
  return k;
};

describe('withKeyObject', () => {
  const cases: Array<[string, () => { private: string; public: string }]> = [
    ['ed25519', () => utils.generateKeyPairSync('ed25519')],
    ['ecdsa-256', () => utils.generateKeyPairSync('ecdsa', { bits: 256 })],
    ['ecdsa-384', () => utils.generateKeyPairSync('ecdsa', { bits: 384 })],
    ['rsa', () => utils.generateKeyPairSync('rsa', { bits: 1024 })],
  ];
  it.each(cases)('%s: signatures that ssh2 itself verifies, with and without a named hash', (_name, gen) => {
    const pair = gen();
    const ours = withKeyObject(parse(pair.private));
    const reference = parse(pair.private);
    const pub = parse(pair.public);
    expect(ours.sign).not.toBe(reference.sign); // the KeyObject path is the one under test
    const data = Buffer.from('session id and userauth request');
    const algos = ours.type === 'ssh-rsa' ? [undefined, 'sha256', 'sha512'] : [undefined];
    for (const algo of algos) {
      const sig = ours.sign(data, algo);
      expect(sig).toBeInstanceOf(Buffer);
      expect(pub.verify(data, sig, algo)).toBe(true);
      expect(pub.verify(Buffer.from('other data'), sig, algo)).toBe(false);
      if (ours.type === 'ssh-ed25519') expect(sig.equals(reference.sign(data, algo))).toBe(true);
    }
  });
});

describe('loadKnownHosts', () => {
  it('reuses the parsed file while it is unchanged and re-reads it when it changes', async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'fabts-kh-')), 'known_hosts');
    const key = 'AAAAC3NzaC1lZDI1NTE5AAAAIJ+3vwBZXEw7Tlim1qIGHH9lXuhD9GTmFAgbtBMDyAAC';
    writeFileSync(file, `web1 ssh-ed25519 ${key}\n`);
    const a = await loadKnownHosts([file]);
    const b = await loadKnownHosts([file]);
    expect(a.map((e) => e.patterns)).toEqual(['web1']);
    expect(b[0]).toBe(a[0]); // same parsed entry, not a second parse
    writeFileSync(file, `web1 ssh-ed25519 ${key}\nweb2 ssh-ed25519 ${key}\n`);
    utimesSync(file, new Date(), new Date(Date.now() + 5000));
    expect((await loadKnownHosts([file])).map((e) => e.patterns)).toEqual(['web1', 'web2']);
    expect(await loadKnownHosts([join(file, '..', 'missing')])).toEqual([]);
  });
});
