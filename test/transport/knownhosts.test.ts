import { createHmac, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import {
  checkHostKey,
  fingerprint,
  hostToken,
  keyTypeOf,
  knownHostsLine,
  parseKnownHosts,
  preferredHostKeyAlgorithms,
} from '../../lib/transport/knownhosts.js';

function blob(type: string, body = randomBytes(32)): Buffer {
  const t = Buffer.from(type);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(t.length);
  return Buffer.concat([len, t, body]);
}
const hashed = (token: string) => {
  const salt = randomBytes(20);
  return `|1|${salt.toString('base64')}|${createHmac('sha1', salt).update(token).digest('base64')}`;
};

describe('known_hosts', () => {
  const k1 = blob('ssh-ed25519');
  const k2 = blob('ssh-ed25519');
  const rsa = blob('ssh-rsa');

  it('matches plain, [host]:port, hashed, wildcard and negated entries', () => {
    const text = [
      `web1,10.0.0.1 ssh-ed25519 ${k1.toString('base64')}`,
      `[web2]:2222 ssh-ed25519 ${k1.toString('base64')}`,
      `${hashed('[db1]:2200')} ssh-ed25519 ${k1.toString('base64')}`,
      `*.example.com,!bad.example.com ssh-ed25519 ${k1.toString('base64')}`,
      '# comment',
      'garbage',
    ].join('\n');
    const e = parseKnownHosts(text, 'kh');
    expect(checkHostKey(e, 'web1', 22, k1).kind).toBe('match');
    expect(checkHostKey(e, '10.0.0.1', 22, k1).kind).toBe('match');
    expect(checkHostKey(e, 'web2', 2222, k1).kind).toBe('match');
    expect(checkHostKey(e, 'web2', 22, k1).kind).toBe('unknown');
    expect(checkHostKey(e, 'db1', 2200, k1).kind).toBe('match');
    expect(checkHostKey(e, 'a.example.com', 22, k1).kind).toBe('match');
    expect(checkHostKey(e, 'bad.example.com', 22, k1).kind).toBe('unknown');
  });

  it('reports a changed key with the known entries, and honours @revoked', () => {
    const e = parseKnownHosts(
      `web1 ssh-ed25519 ${k1.toString('base64')}\n@revoked * ssh-ed25519 ${k2.toString('base64')}`,
      'kh',
    );
    const v = checkHostKey(e, 'web1', 22, blob('ssh-ed25519'));
    expect(v.kind).toBe('changed');
    if (v.kind === 'changed') expect(v.known[0]!.line).toBe(1);
    expect(checkHostKey(e, 'web1', 22, k2).kind).toBe('revoked');
  });

  it('writes lines it can read back, and fingerprints like ssh-keygen', () => {
    const line = knownHostsLine('127.0.0.5', 2222, k1);
    expect(line.startsWith('[127.0.0.5]:2222 ssh-ed25519 ')).toBe(true);
    expect(checkHostKey(parseKnownHosts(line, 'x'), '127.0.0.5', 2222, k1).kind).toBe('match');
    expect(fingerprint(k1)).toMatch(/^SHA256:[A-Za-z0-9+/]{43}$/);
    expect(keyTypeOf(rsa)).toBe('ssh-rsa');
    expect(hostToken('h', 22)).toBe('h');
  });

  it('prefers the host key algorithms already known for the host', () => {
    const e = parseKnownHosts(`h ssh-rsa ${rsa.toString('base64')}`, 'kh');
    expect(preferredHostKeyAlgorithms(e).slice(0, 3)).toEqual(['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa']);
    expect(preferredHostKeyAlgorithms([])[0]).toBe('ssh-ed25519');
  });
});
