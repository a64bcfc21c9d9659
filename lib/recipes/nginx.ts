import {
  LOADED,
  processAlive,
  RELOAD_EXIT,
  reloadUnlessLoaded as reloadIfStale,
  reloadAndWait,
  reloadScript,
  restoreBackup,
  TEST_FAILED_EXIT,
  testConfig,
  testOrRestore,
  WAITED,
} from '../commands/nginx.js';
import { pidFile } from '../commands/probes.js';
import { FileEditError, NginxError } from '../errors.js';
import type { AfterResult } from '../files/edit-commit.js';
import { editFile, type EditResult } from '../files/edit.js';
import { readText } from '../files/helpers.js';
import { httpGet } from '../health/http-get.js';
import type { Host } from '../run/host.js';
import { factCached, pidFromFile } from '../run/facts.js';
import { listUpstreams, setBackend, UpstreamError, type UpstreamServer } from './nginx-conf.js';

/** Where nginx lives on a host: settings, so a distro nginx, an init.d script or a private `-p` nginx all fit. */
export interface NginxSettings {
  conf: string;
  /** Check run on the new conf before it replaces the old one (%s = new file); empty: `nginx -t` after, restoring on failure. */
  validate: string;
  reload: string;
  pidFile: string;
  healthUrl?: string;
  sudo: boolean | 'auto';
  reloadTimeoutMs: number;
}

export function nginxSettings(ctx: Host): NginxSettings {
  const s = ctx.settings;
  const sudo = s.string('nginxSudo', 'auto');
  const health = s.string('nginxHealthUrl', s.string('lbHealthUrl', ''));
  return {
    conf: s.string('nginxConf', '/etc/nginx/nginx.conf'),
    validate: s.string('nginxValidate', 'nginx -t -q -c %s'),
    reload: s.string('nginxReload', 'nginx -s reload'),
    pidFile: s.string('nginxPid', '/run/nginx.pid'),
    ...(health ? { healthUrl: health } : {}),
    sudo: sudo === 'auto' ? 'auto' : s.boolean('nginxSudo'),
    reloadTimeoutMs: s.number('nginxReloadTimeout', 10) * 1000,
  };
}

/** Run a command as root when the settings say so (and always for signalling a root-owned nginx). */
const asRoot = (ctx: Host, s: NginxSettings, cmd: Parameters<Host['run']>[0]) =>
  s.sudo === false ? ctx.run(cmd) : ctx.sudo(cmd);

/**
 * Take a backend out of (or put it back into) every upstream of the conf, then reload and check nginx. When the
 * edit runs as the user the reload needs (root, unless nginxSudo is false), the test, reload and wait ride at the
 * end of the edit's commit script, which goes out with the read and waits there for the new conf.
 */
export async function setNginxBackend(
  ctx: Host,
  backend: string,
  enabled: boolean,
  force = false,
): Promise<EditResult> {
  const s = nginxSettings(ctx);
  const backup = '.fab-bak';
  const after = (sudo: boolean, path: string) =>
    sudo === (s.sudo !== false)
      ? {
          script: [
            ...(s.validate ? [] : [testOrRestore(`${path}${backup}`, path)]),
            reloadScript(s.pidFile, s.reload, polls(s)),
          ].join('\n'),
          label:
            `${s.validate ? '' : 'nginx -t, '}reload nginx (${s.reload})` +
            ` and wait for the old workers of ${s.pidFile}`,
        }
      : undefined;
  let edit: EditResult;
  try {
    edit = await editFile(
      ctx,
      s.conf,
      (text) => {
        const r = setBackend(text, backend, enabled, force);
        return { text: r.text, matched: r.matched.length, lines: r.matched.map((m) => ({ n: m.line, text: m.text })) };
      },
      { sudo: s.sudo, backup, ...(s.validate ? { validate: s.validate } : {}), after, pipeline: true },
    );
  } catch (err) {
    if (err instanceof UpstreamError) throw new FileEditError(ctx.host.name, s.conf, `${err.message}; nothing changed`);
    throw err;
  }
  if (edit.after) {
    reloadOutcome(ctx, s, edit.after, edit.path);
    await checkHealth(ctx, s);
  } else if (edit.changed && !ctx.dryRun) {
    if (!s.validate) await testAfterWrite(ctx, s, edit);
    await reloadNginx(ctx, s); // also checks the master still answers
    await checkHealth(ctx, s);
  } else if (!ctx.dryRun) await reloadUnlessLoaded(ctx, s, edit.path);
  else await checkNginx(ctx, s);
  return edit;
}

/**
 * The conf already says so: nginx still may not (a run stopped between the write and the reload, e.g. by a second
 * Ctrl-C, would otherwise leave a resumed drain sending requests to the host it deploys). Reloads only then.
 */
async function reloadUnlessLoaded(ctx: Host, s: NginxSettings, path: string): Promise<void> {
  const r = await asRoot(ctx, s, reloadIfStale(s.pidFile, path, s.reload, polls(s)))
    .quiet()
    .nothrow();
  if (r.code !== 0 || !r.stdout.split('\n').includes(LOADED)) {
    if (r.code === 0) ctx.warn(`nginx had not loaded ${path} since it was last written: reloaded it`);
    reloadOutcome(ctx, s, r);
  }
  await checkHealth(ctx, s);
}

const polls = (s: NginxSettings) => s.reloadTimeoutMs / 100;

/** Without a pre-check (an included file cannot be tested alone), test the whole conf and put the old file back on failure. */
async function testAfterWrite(ctx: Host, s: NginxSettings, edit: EditResult): Promise<void> {
  const t = await asRoot(ctx, s, testConfig()).nothrow();
  if (t.ok) return;
  await asRoot(ctx, s, restoreBackup(`${edit.path}.fab-bak`, edit.path));
  throw testFailed(ctx, edit.path, t.stderr);
}

const testFailed = (ctx: Host, path: string, stderr: string) =>
  new FileEditError(
    ctx.host.name,
    path,
    `nginx -t failed after the edit; the previous file is back:\n    ${stderr.trim()}`,
  );

/** nginx's master pid, a fact: read from the pid file once per reload, or once per run for a check alone. */
const masterPid = (ctx: Host, s: NginxSettings, refresh = false) =>
  pidFromFile(ctx, s.pidFile, { sudo: s.sudo !== false, refresh });
const masterPidCached = (ctx: Host, s: NginxSettings) =>
  factCached(ctx, pidFile(s.pidFile), { sudo: s.sudo !== false });
const notRunning = (ctx: Host, s: NginxSettings) =>
  new NginxError(ctx.host.name, 'not-running', `nginx is not running (no live master in ${s.pidFile})`);

/**
 * `nginx -s reload`, then wait until every worker of the old configuration has exited: from then on
 * no request goes to a disabled backend. Old workers finish their requests first, so none fails. One script on
 * the host (pid file, workers, reload, polls, `kill -0`): one round trip however long the wait.
 */
export async function reloadNginx(ctx: Host, s: NginxSettings = nginxSettings(ctx)): Promise<void> {
  // The pid file is read afresh inside: nginx may have been restarted since this run last looked.
  const r = await asRoot(ctx, s, reloadAndWait(s.pidFile, s.reload, polls(s)))
    .quiet()
    .nothrow();
  reloadOutcome(ctx, s, r);
}

/** The reload script's exit status as an error (none when it worked); `path` when it also ran nginx -t. */
function reloadOutcome(ctx: Host, s: NginxSettings, r: AfterResult, path?: string): void {
  const waited = new RegExp(`^${WAITED} (\\d+)$`, 'm').exec(r.stdout)?.[1];
  if (waited !== undefined) ctx.events.emit({ type: 'lb.wait', host: ctx.host.name, lb: 'nginx', ms: Number(waited) });
  if (r.code === 0) return;
  const detail = r.stderr.trim();
  if (path !== undefined && r.code === TEST_FAILED_EXIT) throw testFailed(ctx, path, detail);
  if (r.code === RELOAD_EXIT.notRunning) throw notRunning(ctx, s);
  if (r.code === RELOAD_EXIT.timeout) {
    const old = /old workers (.*)$/m.exec(detail)?.[1] ?? '';
    throw new NginxError(
      ctx.host.name,
      'reload-timeout',
      `nginx did not finish reloading within ${s.reloadTimeoutMs / 1000}s (old workers ${old} still running)`,
    );
  }
  throw new NginxError(
    ctx.host.name,
    'reload-failed',
    `nginx reload (${s.reload}) failed: ${detail || `exit ${r.code}`}`,
  );
}

/** nginx still runs (its master answers signal 0) and, when configured, its health URL answers 200. */
export async function checkNginx(ctx: Host, s: NginxSettings = nginxSettings(ctx)): Promise<void> {
  const alive = async (pid: number | undefined) =>
    pid !== undefined && (await asRoot(ctx, s, processAlive(pid)).quiet().nothrow().probe()).ok;
  const cached = masterPidCached(ctx, s);
  let ok = await alive(await masterPid(ctx, s));
  // A pid from earlier in the run may be stale (nginx restarted since): then read the file again.
  if (!ok && cached) ok = await alive(await masterPid(ctx, s, true));
  if (!ok) throw notRunning(ctx, s);
  await checkHealth(ctx, s);
}

/** When configured, nginx's health URL answers 200 (over HTTP, no SSH round trip). */
async function checkHealth(ctx: Host, s: NginxSettings): Promise<void> {
  if (!s.healthUrl) return;
  const res = await httpGet(s.healthUrl, 5000).catch((e: Error) => ({ status: 0, body: e.message }));
  if (res.status !== 200)
    throw new NginxError(
      ctx.host.name,
      'unhealthy',
      `nginx health URL ${s.healthUrl} answered ${res.status || res.body}`,
    );
}

export async function nginxStatus(ctx: Host): Promise<UpstreamServer[]> {
  const s = nginxSettings(ctx);
  const text = await readText(ctx, s.conf, s.sudo);
  if (text === undefined) throw new FileEditError(ctx.host.name, s.conf, 'no such file');
  return listUpstreams(text);
}
