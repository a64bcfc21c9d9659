import { describe, expect, it } from 'vitest';
import { adminDisabled, parseStat, setServerDisabled } from '../../lib/recipes/haproxy-conf.js';

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
    const csv = '# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status,weight\napp,FRONTEND,,,0,1,,,,,,,,,,,,OPEN,\napp,web1,0,0,2,5,,9,,,,,,,,,,UP,1\napp,web2,0,0,0,1,,3,,,,,,,,,,MAINT,1\napp,BACKEND,0,0,2,5,,,,,,,,,,,,UP,2\n';
    const rows = parseStat(csv);
    expect(rows).toEqual([
      { backend: 'app', server: 'web1', status: 'UP', scur: 2, weight: 1 },
      { backend: 'app', server: 'web2', status: 'MAINT', scur: 0, weight: 1 },
    ]);
    expect(rows.map(adminDisabled)).toEqual([false, true]);
  });
});
