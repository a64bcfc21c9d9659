import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { consoleSink, transferProgress } from '../../lib/report/console.js';
import type { FabEvent } from '../../lib/report/events.js';
import { get, put } from '../../lib/task/dsl.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';

const hostsWith = (file: string) => {
  const make = (name: string) => {
    const t = new ScriptedTransport(name);
    t.files.set(file, { data: Buffer.from(`${name}\n`), mode: 0o644 });
    return t;
  };
  return { web1: make('web1'), web2: make('web2') };
};

describe('get on several hosts', () => {
  it('refuses a local path without {host} before downloading anything (exit 2)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-get-'));
    const fetch = task({}, () => get('/etc/hostname', join(dir, 'hostname')));
    const r = await runTask(fetch, { hosts: hostsWith('/etc/hostname'), parallel: true });
    expect(r.exitCode).toBe(2);
    expect(String(r.error('web1'))).toMatch(/same for all 2 hosts[\s\S]*fix: put \{host\}/);
    expect(existsSync(join(dir, 'hostname'))).toBe(false);
  });

  it('writes one file per host with {host} or %(host)s', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-get-'));
    const fetch = task({}, () => get('/etc/hostname', join(dir, '%(host)s', '{basename}')));
    const r = await runTask(fetch, { hosts: hostsWith('/etc/hostname'), parallel: true });
    expect(r.exitCode).toBe(0);
    expect(['web1', 'web2'].map((h) => readFileSync(join(dir, h, 'hostname'), 'utf8'))).toEqual(['web1\n', 'web2\n']);
  });
});

describe('put of a folder', () => {
  it('makes the folders in one command and uploads every file with its local mode', async () => {
    const src = join(mkdtempSync(join(tmpdir(), 'fab-put-')), 'conf');
    mkdirSync(join(src, 'sub'), { recursive: true });
    writeFileSync(join(src, 'a.conf'), 'a', { mode: 0o600 });
    writeFileSync(join(src, 'sub', 'b.conf'), 'bb', { mode: 0o755 });
    const web1 = new ScriptedTransport('web1').once('mkdir -p -- /etc/app /etc/app/sub');
    const up = task({}, () => put(src, '/etc/app', { mirrorLocalMode: true }));
    const r = await runTask(up, { hosts: { web1 } });
    expect(r.exitCode).toBe(0);
    expect([...web1.files].map(([p, f]) => [p, f.data.toString(), f.mode])).toEqual([
      ['/etc/app/a.conf', 'a', 0o600],
      ['/etc/app/sub/b.conf', 'bb', 0o755],
    ]);
    expect(r.value('web1')).toMatchObject({ remote: '/etc/app', bytes: 3 });
    web1.verify();
  });
});

describe('transfer progress on the console', () => {
  const ev = (ms: number, bytes: number): FabEvent => ({
    type: 'transfer.progress',
    host: 'web1',
    direction: 'put',
    local: 'big',
    remote: '/srv/big',
    bytes,
    total: 4 * 1048576,
    ms,
  });

  it('shows bytes, percentage and rate', () => {
    expect(transferProgress(2 * 1048576, 4 * 1048576, 2000)).toBe('2.0 MiB of 4.0 MiB (50%), 1.0 MiB/s');
  });

  it('on a terminal, from the first second on, at most once a second; never when not a terminal', () => {
    for (const live of [true, false]) {
      const out: string[] = [];
      const sink = consoleSink({ color: false, groups: new Set(['running']), write: (s) => void out.push(s), live });
      for (const [ms, mib] of [
        [500, 1],
        [1000, 1],
        [1500, 2],
        [2100, 3],
      ] as const)
        sink({ ...ev(ms, mib * 1048576), time: '' } as FabEvent & { time: string });
      expect(out).toEqual(
        live
          ? [
              '[web1] put: /srv/big 1.0 MiB of 4.0 MiB (25%), 1.0 MiB/s\n',
              '[web1] put: /srv/big 3.0 MiB of 4.0 MiB (75%), 1.4 MiB/s\n',
            ]
          : [],
      );
    }
  });
});
