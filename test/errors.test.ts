import { describe, expect, it } from 'vitest';
import { HostKeyError } from '../lib/errors.js';

describe('HostKeyError', () => {
  it('says a changed key may be an attack, shows both keys and how to drop the old one', () => {
    const e = new HostKeyError(
      'web1',
      '[10.0.0.1]:2222',
      'changed',
      'ED25519 SHA256:new',
      ['ED25519 SHA256:old'],
      ['/kh'],
    );
    expect(e.message.split('\n')).toEqual([
      '[web1] HOST KEY CHANGED for [10.0.0.1]:2222: refusing to connect (possible man-in-the-middle, or the host ' +
        'was rebuilt)',
      '  offered:  ED25519 SHA256:new',
      '  expected: ED25519 SHA256:old',
      "  fix: if the change is expected, remove the old entry (ssh-keygen -R '[10.0.0.1]:2222' -f FILE) from /kh",
    ]);
  });
});
