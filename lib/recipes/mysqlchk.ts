import { createHash } from 'node:crypto';
import { raw, secret, sh } from '../commands/quote.js';
import { RecipeError, UsageError } from '../errors.js';
import { blockInFile } from '../files/block.js';
import { editFile, type EditResult } from '../files/edit.js';
import type { TaskContext } from '../task/context.js';
import { defaultsFileText } from '../db/client.js';
import { serviceManager, waitUntil } from '../system/service.js';
import { mysqlSettings } from './mysql.js';
import { MYSQLCHK_PY, checkRunning, mysqlListenSection, mysqlchkUnit, restartCheck } from './mysqlchk-script.js';

/**
 * installMysqlchk: the check script, its 0600 login file, and the process (a systemd unit, or
 * without systemd a detached process with a pid file). Idempotent: unchanged files and a live
 * process change nothing. Settings: mysqlchkPort (31337), mysqlchkBind (0.0.0.0), mysqlchkDbHost
 * (127.0.0.1), mysqlchkLog (/var/log/fab-mysqlchk.log, without systemd), mysqlchkUser / mysqlchkPassword
 * (default: mysqlUser / mysqlPassword).
 */
const SCRIPT = '/usr/local/sbin/fab-mysqlchk';
const CNF = '/etc/fab-mysqlchk/client.cnf';
const PID = '/run/fab-mysqlchk.pid';
const UNIT = '/etc/systemd/system/fab-mysqlchk.service';

export interface MysqlchkResult {
  changed: boolean;
  running: boolean;
  url: string;
}

/** Write a secret file (0600 root) only when its sha256 differs; the content goes on stdin, never in a diff. */
async function putSecretFile(ctx: TaskContext, path: string, content: string): Promise<boolean> {
  const want = createHash('sha256').update(content).digest('hex');
  const have = (
    await ctx
      .sudo(sh`sha256sum -- ${path} 2>/dev/null`)
      .quiet()
      .nothrow()
      .probe()
  ).stdout.split(' ')[0];
  if (have === want) return false;
  const dir = path.slice(0, path.lastIndexOf('/'));
  await ctx
    .sudo(
      raw(
        sh`umask 077 && mkdir -p -- ${dir} && cat > ${`${path}.tmp`} && mv -f -- ${`${path}.tmp`} ${path}`.text,
        `(write ${path}, mode 600, from stdin)`,
      ),
    )
    .quiet()
    .stdin(content);
  return true;
}

export async function installMysqlchk(ctx: TaskContext): Promise<MysqlchkResult> {
  const s = ctx.settings;
  const m = mysqlSettings(ctx);
  const port = s.number('mysqlchkPort', 31337);
  const bind = s.string('mysqlchkBind', '0.0.0.0');
  const dbHost = s.string('mysqlchkDbHost', '127.0.0.1');
  const user = s.string('mysqlchkUser', m.creds.user ?? 'root');
  const password = s.has('mysqlchkPassword') ? s.string('mysqlchkPassword') : m.creds.password?.reveal();
  if (password) ctx.events.addSecret(password);
  const cnf = defaultsFileText({ user, ...(password ? { password: secret(password) } : {}) });
  const script = await editFile(ctx, SCRIPT, () => MYSQLCHK_PY, { sudo: true, create: true, mode: 0o755 });
  const login = await putSecretFile(ctx, CNF, cnf);
  const cmd = sh`/usr/bin/python3 ${SCRIPT} --bind ${bind} --port ${port} --db-host ${dbHost} --defaults-file ${CNF}`
    .text;
  const url = `http://${bind === '0.0.0.0' ? '127.0.0.1' : bind}:${port}/mysqlchk/?port=${m.port}`;
  let changed = script.changed || login;
  if ((await serviceManager(ctx)) === 'systemd') {
    const unit = await editFile(ctx, UNIT, () => mysqlchkUnit(cmd), { sudo: true, create: true, mode: 0o644 });
    changed ||= unit.changed;
    if (unit.changed) await ctx.sudo('systemctl daemon-reload').quiet();
    await ctx
      .sudo(
        changed
          ? 'systemctl enable fab-mysqlchk && systemctl restart fab-mysqlchk'
          : 'systemctl enable --now fab-mysqlchk',
      )
      .quiet();
  } else {
    const alive = (await ctx.sudo(checkRunning(PID)).quiet().nothrow().probe()).ok;
    if (changed || !alive) {
      changed = true;
      await ctx.sudo(restartCheck(PID, cmd, s.string('mysqlchkLog', '/var/log/fab-mysqlchk.log'))).quiet();
    }
  }
  // any HTTP answer (an error status too) means the check listens
  const get = 'import sys,urllib.request as u\ntry: u.urlopen(sys.argv[1], timeout=3)\nexcept u.HTTPError: pass';
  await waitUntil(
    ctx,
    `mysqlchk on ${url}`,
    async () =>
      (
        await ctx
          .run(sh`python3 -c ${get} ${url}`)
          .quiet()
          .nothrow()
          .probe()
      ).ok,
    15_000,
  );
  const done = ctx.dryRun ? 'would be installed/restarted' : 'installed and running';
  ctx.log(`mysqlchk ${changed ? done : 'unchanged and running'}: ${url}`);
  return { changed, running: true, url };
}

/**
 * haproxyMysql: the seed's `listen` section as a managed block in haproxy.cfg (validated, then
 * reloaded). Servers: the hosts of role `db` (or the mysqlServers setting, a;b), the first primary.
 * Settings: mysqlListen (0.0.0.0:33306), mysqlchkPort, mysqlchkInter (5000), mysqlchkRise / Fall (3),
 * haproxyConf, haproxyValidate, haproxyReload (systemctl reload haproxy).
 */
export async function haproxyMysql(ctx: TaskContext): Promise<EditResult> {
  const s = ctx.settings;
  const names = s.list('mysqlServers', []);
  const hosts = names.length ? names.flatMap((n) => ctx.resolveHosts(n)) : ctx.resolveHosts({ role: 'db' });
  if (!hosts.length)
    throw new UsageError(
      'haproxyMysql: no db hosts (role db) in the host sets',
      'give hosts the role db, or set mysqlServers=db1;db2',
    );
  const section = mysqlListenSection({
    name: s.string('mysqlListenName', 'mysql'),
    bind: s.string('mysqlListen', '0.0.0.0:33306'),
    checkPort: s.number('mysqlchkPort', 31337),
    mysqlPort: 3306,
    inter: s.string('mysqlchkInter', '5000'),
    rise: s.number('mysqlchkRise', 3),
    fall: s.number('mysqlchkFall', 3),
    servers: hosts.map((h) => ({
      name: h.name,
      address: h.address,
      port: h.settings.mysqlPort === undefined ? 3306 : Number(h.settings.mysqlPort),
    })),
  });
  const conf = s.string('haproxyConf', '/etc/haproxy/haproxy.cfg');
  const r = await blockInFile(ctx, conf, 'mysql', section, {
    sudo: true,
    validate: s.string('haproxyValidate', 'haproxy -c -q -f %s'),
    backup: '.fab-bak',
  });
  if (r.changed && !ctx.dryRun) {
    const reload = await ctx.sudo(s.string('haproxyReload', 'systemctl reload haproxy')).quiet().nothrow();
    if (!reload.ok)
      throw new RecipeError(
        ctx.host.name,
        `${conf} was updated (valid) but the reload failed: ${reload.stderr.trim()}`,
      );
  }
  const outcome = r.changed ? (ctx.dryRun ? 'would change' : 'written and reloaded') : 'unchanged';
  ctx.log(`haproxy listen mysql ${outcome} (${hosts.map((h) => h.name).join(', ')})`);
  return r;
}
