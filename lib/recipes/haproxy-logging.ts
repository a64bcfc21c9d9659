import { RecipeError } from '../errors.js';
import { setBlock } from '../files/block.js';
import { editFile } from '../files/edit.js';
import type { Host } from '../run/host.js';

/**
 * HAProxy's syslog (facility local0) into its own file through rsyslog, with the flood limits
 * raised (seed 002: imuxsock dropped messages under load), and a logrotate entry that signals
 * rsyslog to reopen the file. Each file is validated before it replaces the old one (rsyslogd -N1,
 * logrotate -d); rsyslog is restarted only when something changed (a reload does not apply the
 * rate limits; Debian's haproxy package ships 49-haproxy.conf, ours sorts first). Settings:
 * haproxyLogFile (/var/log/haproxy.log), rsyslogConf (/etc/rsyslog.conf),
 * rsyslogDropIn (/etc/rsyslog.d/10-haproxy.conf), logrotateConf (/etc/logrotate.d/haproxy),
 * rsyslogPidFile (/run/rsyslogd.pid), rsyslogRestart (systemctl restart rsyslog),
 * rsyslogRateLimitInterval (2), rsyslogRateLimitBurst (25000), haproxyLogRotate (7, weekly).
 */

export interface LoggingSettings {
  logFile: string;
  rsyslogConf: string;
  dropIn: string;
  logrotateConf: string;
  pidFile: string;
  restart: string;
  interval: number;
  burst: number;
  rotate: number;
}

export function loggingSettings(ctx: Host): LoggingSettings {
  const s = ctx.settings;
  return {
    logFile: s.string('haproxyLogFile', '/var/log/haproxy.log'),
    rsyslogConf: s.string('rsyslogConf', '/etc/rsyslog.conf'),
    dropIn: s.string('rsyslogDropIn', '/etc/rsyslog.d/10-haproxy.conf'),
    logrotateConf: s.string('logrotateConf', '/etc/logrotate.d/haproxy'),
    pidFile: s.string('rsyslogPidFile', '/run/rsyslogd.pid'),
    restart: s.string('rsyslogRestart', 'systemctl restart rsyslog'),
    interval: s.number('rsyslogRateLimitInterval', 2),
    burst: s.number('rsyslogRateLimitBurst', 25000),
    rotate: s.number('haproxyLogRotate', 7),
  };
}

/** Pure: the rsyslog drop-in (the seed's template; `& stop` is today's spelling of `~`). */
export function rsyslogDropIn(l: LoggingSettings): string {
  return `# installed by fabts (haproxyLogging): HAProxy's local0 into its own file, nowhere else
$template Haproxy,"%TIMESTAMP% %msg%\\n"
local0.* -${l.logFile};Haproxy
& stop
`;
}

export const rateLimitBlock = (l: LoggingSettings): string =>
  `$SystemLogRateLimitInterval ${l.interval}\n$SystemLogRateLimitBurst ${l.burst}`;

const IMUXSOCK = /^[ \t]*module\(load="imuxsock"[^)]*\).*$/m;

/**
 * Pure: rsyslog.conf with the rate limits. A RainerScript `module(load="imuxsock")` line (Debian
 * 12) gets the SysSock.RateLimit parameters (the legacy directives are refused after it); an old
 * style config gets the seed's two directives as a managed block.
 */
export function withRateLimits(conf: string, l: LoggingSettings): string {
  if (!IMUXSOCK.test(conf)) return setBlock(conf, 'haproxy rate limits', rateLimitBlock(l)).text;
  const limits = `SysSock.RateLimit.Interval="${l.interval}" SysSock.RateLimit.Burst="${l.burst}"`;
  return conf.replace(IMUXSOCK, `module(load="imuxsock" ${limits}) # fabts haproxyLogging`);
}

/** Pure: the logrotate entry; postrotate HUPs rsyslog (through its pid file) so it reopens the file. */
export function logrotateEntry(l: LoggingSettings): string {
  return `# installed by fabts (haproxyLogging)
${l.logFile} {
    weekly
    missingok
    rotate ${l.rotate}
    compress
    delaycompress
    notifempty
    create 640 root adm
    sharedscripts
    postrotate
        [ ! -f ${l.pidFile} ] || kill -HUP $(cat ${l.pidFile})
    endscript
}
`;
}

export async function haproxyLogging(ctx: Host): Promise<{ changed: boolean }> {
  const l = loggingSettings(ctx);
  const rsyslogCheck = 'rsyslogd -N1 -f %s';
  const drop = await editFile(ctx, l.dropIn, () => rsyslogDropIn(l), {
    sudo: true,
    create: true,
    mode: 0o644,
    validate: rsyslogCheck,
  });
  const limits = await editFile(ctx, l.rsyslogConf, (t) => withRateLimits(t, l), {
    sudo: true,
    validate: rsyslogCheck,
    backup: '.fab-bak',
  });
  const rotate = await editFile(ctx, l.logrotateConf, () => logrotateEntry(l), {
    sudo: true,
    create: true,
    mode: 0o644,
    validate: 'logrotate -d %s',
  });
  const changed = drop.changed || limits.changed || rotate.changed;
  if (changed && !ctx.dryRun) {
    const r = await ctx.sudo(l.restart).quiet().nothrow();
    if (!r.ok)
      throw new RecipeError(
        ctx.host.name,
        `the rsyslog/logrotate files are in place (validated) but "${l.restart}" failed: ${r.stderr.trim()}`,
      );
  }
  const outcome = changed ? (ctx.dryRun ? 'would change' : 'updated, rsyslog restarted') : 'unchanged';
  ctx.log(`haproxy logging to ${l.logFile}: ${outcome}`);
  return { changed };
}
