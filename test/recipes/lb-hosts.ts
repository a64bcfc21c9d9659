/**
 * Scripted LB hosts for the LB recipes' tests: an nginx host (lb1) and an HAProxy host (lb2) that answer the
 * recipes' reads and commit scripts as real ones would (the lab tests run the recipes on real ones).
 */
import { BATCH_MARK } from '../../lib/commands/haproxy-socket.js';
import { COMMITTED, EXIT, STARTED } from '../../lib/files/commit-script.js';
import { setHaproxyServer } from '../../lib/recipes/haproxy.js';
import { task } from '../../lib/task/task.js';
import { parseStat } from '../../lib/recipes/haproxy-conf.js';
import { ScriptedTransport, type SeenCommand } from '../../lib/testing/index.js';

export const NGINX = 'upstream app {\n    server web1:8080;\n    server web2:8080;\n}\n';
export const has = (s: string) => (c: SeenCommand) => c.command.includes(s);

/**
 * An nginx host where the edit's commit script, which ends with the reload (pid file, workers, reload, polls,
 * kill -0 on the host), replaces the conf and then answers `reload`.
 */
export function nginxHost(reload: { code?: number; stdout?: string; stderr?: string }): ScriptedTransport {
  return new ScriptedTransport('lb1')
    .on(has('[ -w '), { code: 1 }) // the login user cannot replace the conf: edit as root
    .on(has('base64 -w0'), { stdout: Buffer.from(NGINX).toString('base64') })
    .once((c) => c.command.startsWith('sh -c ') && c.command.includes('pgrep -P'), {
      ...reload,
      stdout: `${STARTED}\n${COMMITTED}\n${reload.stdout ?? ''}`,
    });
}
export const nginxSettings = { nginxReloadTimeout: 0.5 };

export const stat = (rows: [string, string, string][]) =>
  `# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wredis,status\n` +
  rows.map(([sv, scur, status]) => `app,${sv},0,0,${scur},0,,0,0,0,0,0,,0,0,0,0,${status}`).join('\n') +
  '\n';
export const HAPROXY = 'backend app\n    server web1 10.0.0.1:8080 check\n    server web2 10.0.0.2:8080 check\n';

/**
 * An HAProxy host whose `show stat` answers come from `stats`, one per call (the last repeats). The commit script
 * that ends with the drain answers as the host's would: the drain's answer, the first poll, and maint when that
 * poll shows no session (the script's own test of it runs on a real shell in test/commands/lb.test.ts).
 */
export function haproxyHost(
  stats: string[],
  drainAnswer = '',
  conf = HAPROXY,
): { t: ScriptedTransport; admin: string[] } {
  const admin: string[] = [];
  let n = 0;
  const next = () => stats[Math.min(n++, stats.length - 1)]!;
  const said = (c: SeenCommand) => /set server (\S+ state \w+)/.exec(c.command)![1]!;
  const t = new ScriptedTransport('lb2')
    // The guard's read: `show stat` and the conf, in one command.
    .on(
      (c) => has('show stat')(c) && has('base64 -w0')(c),
      () => ({ stdout: `${next()}${BATCH_MARK}\n${Buffer.from(conf).toString('base64')}` }),
    )
    .on(
      (c) => c.command.startsWith('sh -c ') && has('state drain')(c),
      (c) => {
        if (c.stdin === '') return { stdout: `${STARTED}\n`, code: EXIT.aborted }; // sent nothing: changes nothing
        admin.push(said(c));
        if (drainAnswer) return { stdout: `${STARTED}\n${COMMITTED}\n${drainAnswer}\n` };
        const st = next();
        const idle = parseStat(st).find((r) => r.server === 'web2')?.scur === 0;
        if (idle) admin.push('app/web2 state maint');
        return { stdout: `${STARTED}\n${COMMITTED}\n\n${BATCH_MARK}\n${st}${idle ? `${BATCH_MARK}\n\n` : ''}` };
      },
    )
    .on(
      (c) => c.command.startsWith('sh -c ') && has('state ready')(c),
      (c) => (admin.push(said(c)), { stdout: `${STARTED}\n${COMMITTED}\n\n` }),
    )
    .on(has('show stat'), () => ({ stdout: next() }))
    .on(has('set server'), (c) => (admin.push(said(c)), { stdout: '\n' }));
  return { t, admin };
}
export const drain = task({}, (ctx) => setHaproxyServer(ctx, 'web2', false));
