// The console's rolling and transfer lines, and the live rolling table, as the user sees them (no colour).
import { afterEach, describe, expect, it, vi } from 'vitest';
import { GROUPS, consoleSink } from '../../lib/report/console.js';
import type { FabEvent, RollingHostReport } from '../../lib/report/events.js';
import { LiveRolling } from '../../lib/report/live.js';

const shown = (events: FabEvent[]): string[] => {
  const out: string[] = [];
  const sink = consoleSink({ color: false, groups: new Set(GROUPS), write: (s) => void out.push(s) });
  for (const e of events) sink({ ...e, time: '' } as FabEvent & { time: string });
  return out;
};

describe('console lines', () => {
  it('names both ends of a transfer, source first', () => {
    const t = { type: 'transfer', host: 'web1', local: 'app.tgz', remote: '/srv/app.tgz', bytes: 42 } as const;
    expect(
      shown([
        { ...t, direction: 'put' },
        { ...t, direction: 'get' },
      ]),
    ).toEqual(['[web1] put: app.tgz -> /srv/app.tgz (42 bytes)\n', '[web1] get: /srv/app.tgz -> app.tgz (42 bytes)\n']);
  });

  it('announces a rolling run with its batches, and a resumed dry run with the hosts already done', () => {
    const start = { type: 'rolling.start' as const, id: 'r1', batches: [['web1'], ['web2', 'web3']], maxFailures: 1 };
    expect(
      shown([
        { ...start, resumed: false, skipped: [] },
        { ...start, resumed: true, skipped: ['web0'], dryRun: true },
      ]),
    ).toEqual([
      'Rolling run r1: batches [web1] [web2 web3]; hosts allowed to fail: 1\n',
      'Rolling run r1 (resumed) (dry run: nothing is changed): batches [web1] [web2 web3]; hosts allowed to fail: 1; ' +
        'already done: web0\n',
    ]);
  });

  it('reports the end of a rolling run, host by host', () => {
    const hosts: RollingHostReport[] = [
      { host: 'web1', state: 'done', release: '2', drained: false },
      { host: 'web22', state: 'failed', step: 'gate', detail: 'HTTP 502', drained: true },
    ];
    expect(
      shown([
        { type: 'rolling.end', id: 'r1', outcome: 'halted', hosts, resume: 'fab resume r1' },
        { type: 'rolling.end', id: 'r2', outcome: 'complete', hosts: hosts.slice(0, 1), dryRun: true },
      ]),
    ).toEqual([
      '\nRolling run r1: halted\n',
      '  web1   done  release 2\n',
      '  web22  failed at gate  still out of the load balancer; HTTP 502\n',
      '  continue with: fab resume r1\n',
      '\nRolling run r2 (dry run): complete\n',
      '  web1  done  release 2\n',
    ]);
  });
});

describe('live rolling table', () => {
  const columns = process.stdout.columns;
  afterEach(() => {
    vi.useRealTimers();
    process.stdout.columns = columns;
  });

  it('shows the run, the batch, and each host with its step, elapsed time, release and note', () => {
    vi.useFakeTimers({ now: 0 });
    process.stdout.columns = 200; // wide enough that no line is cut, whatever terminal runs the tests
    const out: string[] = [];
    const live = new LiveRolling((s) => void out.push(s));
    live.update({
      type: 'rolling.start',
      id: 'r1',
      batches: [['web1', 'web2']],
      maxFailures: 0,
      resumed: true,
      skipped: ['web0'],
    });
    live.update({ type: 'rolling.batch', id: 'r1', index: 1, hosts: ['web1', 'web2'] });
    live.update({ type: 'rolling.host', id: 'r1', host: 'web1', state: 'deploying', release: '7' });
    vi.setSystemTime(2500);
    live.update({
      type: 'rolling.gate',
      id: 'r1',
      host: 'web1',
      gate: 'http',
      attempt: 2,
      ok: false,
      detail: 'HTTP 502',
    });
    live.stop();
    expect(out.at(-2)).toBe(
      [
        'Rolling run r1 (resumed), 1 batch(es), hosts allowed to fail: 0  2.5s  batch 1: web1, web2',
        '  web0  done                 done earlier',
        '  web1  deploying      2.5s  release 7  gate attempt 2: HTTP 502',
        '  web2  untouched            ',
        '',
      ].join('\n'),
    );
  });
});
