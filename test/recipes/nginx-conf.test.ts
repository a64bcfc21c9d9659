import { describe, expect, it } from 'vitest';
import { listUpstreams, setBackend } from '../../lib/recipes/nginx-conf.js';

const CONF = `http {
  upstream app {
      server web1:8080;
      server web10:8080 weight=3 max_fails=2;  # the big one
      server web1.example.com:8080;
      #server web2:8080;
  }
  upstream api { server web1:9000; server web3:9000; }
  server {
      listen 80;
      # server web1 here is not an upstream server
      location / { proxy_pass http://app; }
  }
}
`;

describe('nginx upstreams', () => {
  it('lists servers per upstream with their state', () => {
    const all = listUpstreams(CONF).map((s) => `${s.upstream} ${s.address} ${s.enabled}`);
    expect(all).toEqual([
      'app web1:8080 true',
      'app web10:8080 true',
      'app web1.example.com:8080 true',
      'app web2:8080 false',
    ]);
  });

  it('disables exactly the named backend, keeping indentation, parameters and comments', () => {
    const r = setBackend(CONF, 'web10', false);
    expect(r.text).toContain('      #server web10:8080 weight=3 max_fails=2;  # the big one');
    expect(r.text.replace('#server web10', 'server web10')).toBe(CONF);
    expect(setBackend(CONF, 'web1', false).matched.map((m) => m.address)).toEqual(['web1:8080']);
    expect(setBackend(CONF, 'web1:8080', false).matched).toHaveLength(1);
  });

  it('enables a commented backend and is idempotent both ways', () => {
    const on = setBackend(CONF, 'web2', true).text;
    expect(on).toContain('\n      server web2:8080;\n');
    expect(setBackend(on, 'web2', true).text).toBe(on);
    const off = setBackend(CONF, 'web1', false).text;
    expect(setBackend(off, 'web1', false).text).toBe(off);
  });

  it('refuses an unknown backend and emptying a pool without force', () => {
    expect(() => setBackend(CONF, 'web9', false)).toThrow(
      /"web9" is in no upstream block \(servers: web1:8080, web10:8080/,
    );
    const two = `upstream a {\n  server x:1;\n  #server y:1;\n}\n`;
    expect(() => setBackend(two, 'x', false)).toThrow(/would leave upstream a with no enabled server/);
    expect(setBackend(two, 'x', false, true).text).toContain('#server x:1;');
  });
});
