import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rsyncArgs, rsyncQuote, rsyncSsh } from '../../lib/commands/rsync.js';

const ep = {
  host: '127.92.0.1',
  port: 2222,
  user: 'fabts',
  keys: ['/lab/client/id_ed25519'],
  knownHosts: ['/lab/known_hosts'],
};

describe('rsyncArgs', () => {
  it.each([
    [
      'upload with delete and excludes',
      ['./site/', '/srv/www', { delete: true, exclude: ['*.log', '.git'] }],
      [
        '-pthrvz',
        '--delete',
        '--exclude=*.log',
        '--exclude=.git',
        '-e',
        'ssh -p 2222 -l fabts -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/lab/known_hosts -o IdentitiesOnly=yes -i /lab/client/id_ed25519',
        './site/',
        'fabts@127.92.0.1:/srv/www',
      ],
    ],
    [
      'download, own default options, one exclude as a string',
      ['back/', '/srv/www/', { upload: false, defaultOpts: '-a', exclude: 'tmp' }],
      [
        '-a',
        '--exclude=tmp',
        '-e',
        'ssh -p 2222 -l fabts -o BatchMode=yes -o StrictHostKeyChecking=yes -o UserKnownHostsFile=/lab/known_hosts -o IdentitiesOnly=yes -i /lab/client/id_ed25519',
        'fabts@127.92.0.1:/srv/www/',
        'back/',
      ],
    ],
  ] as const)('%s', (_name, [local, remote, opts], want) => {
    expect(rsyncArgs(local, remote, ep, opts)).toEqual(want);
  });

  it('brackets an IPv6 address and leaves out keys and known_hosts when there are none', () => {
    const args = rsyncArgs('a', '/b', { host: '2001:db8::5', port: 22, user: 'u', keys: [], knownHosts: [] });
    expect(args.slice(-3)).toEqual([
      'ssh -p 22 -l u -o BatchMode=yes -o StrictHostKeyChecking=yes',
      'a',
      'u@[2001:db8::5]:/b',
    ]);
  });
});

describe('rsync -e quoting', () => {
  it('doubles quotes the way rsync splits -e, and keeps safe words bare', () => {
    expect(rsyncQuote('/home/me/.ssh/id_ed25519')).toBe('/home/me/.ssh/id_ed25519');
    expect(rsyncQuote("/keys/it's here")).toBe("'/keys/it''s here'");
    expect(rsyncSsh({ ...ep, keys: ['/k/a b'], knownHosts: ['/k/kh 1', '/k/kh2'] })).toContain(
      "-o 'UserKnownHostsFile=/k/kh 1 /k/kh2' -o IdentitiesOnly=yes -i '/k/a b'",
    );
  });

  // rsync itself parses -e: a fake "ssh" in PATH prints the argv it got, so the split is rsync's own.
  it('reaches ssh as exactly the arguments built, through real rsync', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-rsync-'));
    writeFileSync(join(dir, 'ssh'), '#!/bin/sh\nfor a in "$@"; do printf "%s\\n" "$a"; done >&2\nexit 1\n', {
      mode: 0o755,
    });
    const key = "/k/it's a key";
    const r = (() => {
      try {
        execFileSync('rsync', rsyncArgs('/etc/hostname', '/tmp/x', { ...ep, keys: [key] }), {
          env: { ...process.env, PATH: `${dir}:${process.env.PATH}` },
          stdio: 'pipe',
        });
        return '';
      } catch (e) {
        return String((e as { stderr: Buffer }).stderr);
      }
    })();
    expect(r.split('\n').slice(0, 14)).toEqual([
      '-p',
      '2222',
      '-l',
      'fabts',
      '-o',
      'BatchMode=yes',
      '-o',
      'StrictHostKeyChecking=yes',
      '-o',
      'UserKnownHostsFile=/lab/known_hosts',
      '-o',
      'IdentitiesOnly=yes',
      '-i',
      key,
    ]);
  });
});
