import { describe, expect, it } from 'vitest';
import {
  adminDisabled,
  lastServerRefusal,
  parseStat,
  serving,
  setServerDisabled,
} from '../../lib/recipes/haproxy-conf.js';

const CFG = `global
  stats socket /run/haproxy/admin.sock mode 600 level admin
listen app
  bind 127.0.0.1:80
  server web1 web1:8080 check inter 500ms
  server web10 web10:8080 check
backend other
  server web1 web1:9000 check
`;

describe('haproxy config and stats', () => {
  it('adds and removes `disabled` on the server of the named backend only, idempotently', () => {
    const off = setServerDisabled(CFG, 'app', 'web1', true);
    expect(off.text).toContain('  server web1 web1:8080 check inter 500ms disabled\n  server web10 web10:8080 check\n');
    expect(off.text).toContain('  server web1 web1:9000 check\n');
    expect(setServerDisabled(off.text, 'app', 'web1', true).text).toBe(off.text);
    expect(setServerDisabled(off.text, 'app', 'web1', false).text).toBe(CFG);
    expect(() => setServerDisabled(CFG, 'app', 'web2', true)).toThrow(/no "server web2" line in backend app/);
  });

  it('parses show stat by header names', () => {
    const csv =
      '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight\napp,FRONTEND,,,0,1,,,,,,,,,,,,OPEN,\napp,web1,0,0,2,5,,9,,,,,,,,,,UP,1\napp,web2,0,0,0,1,,3,,,,,,,,,,MAINT,1\napp,BACKEND,0,0,2,5,,,,,,,,,,,,UP,2\n';
    const rows = parseStat(csv);
    expect(rows).toEqual([
      { backend: 'app', server: 'web1', status: 'UP', scur: 2, weight: 1 },
      { backend: 'app', server: 'web2', status: 'MAINT', scur: 0, weight: 1 },
    ]);
    expect(rows.map(adminDisabled)).toEqual([false, true]);
  });
});

describe('the last-server guard', () => {
  // `show stat` as HAProxy 2.6 prints it (columns cut after weight), web2 DOWN by its health check.
  const HEADER =
    '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight';
  const stat = (servers: [string, string][]) =>
    parseStat(
      [
        HEADER,
        'app,FRONTEND,,,0,1,,,,,,,,,,,,OPEN,',
        ...servers.map(([sv, status]) => `app,${sv},0,0,0,1,,3,,,,,,,,,,${status},1`),
        'other,web9,0,0,0,1,,3,,,,,,,,,,UP,1',
        'app,BACKEND,0,0,0,5,,,,,,,,,,,,UP,2',
        '',
      ].join('\n'),
    );

  it('counts as serving only UP (also while going down) and unchecked servers', () => {
    const rows = stat([
      ['a', 'UP'],
      ['b', 'UP 1/2'],
      ['c', 'no check'],
      ['d', 'DOWN'],
      ['e', 'DOWN 1/2'],
      ['f', 'MAINT'],
      ['g', 'DRAIN'],
      ['h', 'NOLB'],
      ['i', 'MAINT (resolution)'],
    ]);
    expect(rows.filter((r) => r.backend === 'app' && serving(r)).map((r) => r.server)).toEqual(['a', 'b', 'c']);
  });

  it('refuses to take out the last UP server when the others are DOWN by their checks, not only disabled', () => {
    const rows = stat([
      ['web1', 'MAINT'],
      ['web2', 'DOWN'],
      ['web3', 'UP'],
    ]);
    expect(rows.find((r) => r.server === 'web2')).toMatchObject({ status: 'DOWN' });
    expect(adminDisabled(rows.find((r) => r.server === 'web2')!)).toBe(false); // what the old guard counted as enabled
    expect(lastServerRefusal(rows, 'app', 'web3')).toBe(
      'disabling "web3" would leave backend app with no enabled server' +
        ' (an outage); pass --force to do it anyway (the other servers: web1 MAINT, web2 DOWN)',
    );
  });

  it('allows it while another server of the same backend is UP and enabled', () => {
    expect(
      lastServerRefusal(
        stat([
          ['web1', 'UP'],
          ['web2', 'DOWN'],
          ['web3', 'UP'],
        ]),
        'app',
        'web3',
      ),
    ).toBeUndefined();
    expect(
      lastServerRefusal(
        stat([
          ['web1', 'no check'],
          ['web3', 'UP'],
        ]),
        'app',
        'web3',
      ),
    ).toBeUndefined();
    // web9 is UP, but in another backend: it does not serve app
    expect(
      lastServerRefusal(
        stat([
          ['web1', 'DRAIN'],
          ['web3', 'UP'],
        ]),
        'app',
        'web3',
      ),
    ).toMatch(/web1 DRAIN\)$/);
    expect(lastServerRefusal(stat([['web3', 'UP']]), 'app', 'web3')).toMatch(/\(the other servers: none\)$/);
  });
});
