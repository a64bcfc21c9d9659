import { describe, expect, it } from 'vitest';
import {
  haproxyLogging,
  logrotateEntry,
  rsyslogDropIn,
  withRateLimits,
  type LoggingSettings,
} from '../../lib/recipes/haproxy-logging.js';
import { mysqlListenSection } from '../../lib/recipes/mysqlchk-script.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask } from '../../lib/testing/index.js';

const l: LoggingSettings = {
  logFile: '/var/log/haproxy.log',
  rsyslogConf: '/etc/rsyslog.conf',
  dropIn: '/etc/rsyslog.d/10-haproxy.conf',
  logrotateConf: '/etc/logrotate.d/haproxy',
  pidFile: '/run/rsyslogd.pid',
  restart: 'true',
  interval: 2,
  burst: 25000,
  rotate: 7,
};

describe('haproxy logging builders', () => {
  it('adds the rate limits to a RainerScript imuxsock line, idempotently', () => {
    const conf = 'module(load="imuxsock") # provides support for local system logging\nmodule(load="imklog")\n';
    const once = withRateLimits(conf, l);
    expect(once).toBe(
      'module(load="imuxsock" SysSock.RateLimit.Interval="2" SysSock.RateLimit.Burst="25000") # fabts haproxyLogging\nmodule(load="imklog")\n',
    );
    expect(withRateLimits(once, l)).toBe(once);
  });
  it("uses the seed's legacy directives in a managed block for an old-style config", () => {
    const out = withRateLimits('$ModLoad imuxsock\n', l);
    expect(out).toContain('$SystemLogRateLimitInterval 2\n$SystemLogRateLimitBurst 25000\n');
    expect(withRateLimits(out, l)).toBe(out);
  });
  it('sends local0 to its own file only, and HUPs rsyslog after rotation', () => {
    expect(rsyslogDropIn(l)).toMatch(/^local0\.\* -\/var\/log\/haproxy\.log;Haproxy\n& stop\n/m);
    expect(logrotateEntry(l)).toMatch(
      /rotate 7\n[\s\S]*postrotate\n\s+\[ ! -f \/run\/rsyslogd\.pid \] \|\| kill -HUP \$\(cat \/run\/rsyslogd\.pid\)\n\s+endscript/,
    );
  });
  it("writes the seed's listen section: first server primary, the others backup", () => {
    const text = mysqlListenSection({
      name: 'mysql',
      bind: '0.0.0.0:33306',
      checkPort: 31337,
      mysqlPort: 3306,
      inter: '5000',
      rise: 3,
      fall: 3,
      servers: [
        { name: 'db101', address: '10.0.0.1', port: 3306 },
        { name: 'db201', address: '10.0.0.2', port: 3306 },
      ],
    });
    expect(text).toContain('    mode tcp\n');
    expect(text).toContain('    option httpchk GET /mysqlchk/?port=3306\n');
    expect(text).toContain(
      '    server db101 10.0.0.1:3306 check port 31337 inter 5000 rise 3 fall 3\n    server db201 10.0.0.2:3306 check port 31337 inter 5000 rise 3 fall 3 backup',
    );
  });
});

describe('haproxyLogging on a scripted host', () => {
  it('says where HAProxy logs and what changed', async () => {
    const said = async (dryRun: boolean) => {
      const r = await runTask(
        task({}, (ctx) => haproxyLogging(ctx)),
        { hosts: { lb1: new ScriptedTransport('lb1').on(() => true, {}) }, dryRun },
      );
      expect(r.exitCode).toBe(0);
      return r.events.flatMap((e) => (e.type === 'message' ? [e.text] : []));
    };
    expect(await said(false)).toEqual(['haproxy logging to /var/log/haproxy.log: updated, rsyslog restarted']);
    expect(await said(true)).toEqual(['haproxy logging to /var/log/haproxy.log: would change']);
  });
});
