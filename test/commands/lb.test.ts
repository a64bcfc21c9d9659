import { describe, expect, it } from 'vitest';
import * as hs from '../../lib/commands/haproxy-socket.js';
import * as ng from '../../lib/commands/nginx.js';
import type { ShellCommand } from '../../lib/commands/quote.js';

// Input -> the exact command line sent to the host, and what the operator is shown of it.
const GOLDEN: [string, ShellCommand, string, string?][] = [
  ['nginx testConfig', ng.testConfig(), 'nginx -t -q'],
  [
    'nginx restoreBackup',
    ng.restoreBackup('/etc/nginx/my site.conf.fab-bak', '/etc/nginx/my site.conf'),
    `mv -f -- '/etc/nginx/my site.conf.fab-bak' '/etc/nginx/my site.conf'`,
  ],
  [
    'nginx reload (the setting, as written)',
    ng.reload('systemctl reload nginx && echo "$(date)"'),
    'systemctl reload nginx && echo "$(date)"',
  ],
  ['nginx childPids', ng.childPids(4242), 'pgrep -P 4242 || true'],
  ['nginx processAlive', ng.processAlive(4242), 'kill -0 4242'],
  [
    'haproxy show stat',
    hs.adminSocketCommand('/run/haproxy/admin.sock', hs.SHOW_STAT),
    `printf '%s\\n' 'show stat' | socat -t 5 stdio unix-connect:/run/haproxy/admin.sock`,
    '(haproxy /run/haproxy/admin.sock: show stat)',
  ],
  [
    'haproxy set state',
    hs.adminSocketCommand('/run/my haproxy.sock', hs.setServerState('app', 'web2', 'drain')),
    `printf '%s\\n' 'set server app/web2 state drain' | socat -t 5 stdio unix-connect:'/run/my haproxy.sock'`,
    '(haproxy /run/my haproxy.sock: set server app/web2 state drain)',
  ],
];

describe('LB command builders', () => {
  it.each(GOLDEN)('%s', (_name, cmd, text, display = text) => {
    expect(cmd.text).toBe(text);
    expect(cmd.display).toBe(display);
  });

  it('names every server state the recipes set', () => {
    expect((['ready', 'drain', 'maint'] as const).map((s) => hs.setServerState('be', 'sv', s))).toEqual([
      'set server be/sv state ready',
      'set server be/sv state drain',
      'set server be/sv state maint',
    ]);
  });
});
