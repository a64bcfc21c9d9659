// Releases of the lab's web app (test/lab/app/server.mjs) laid out the way a deploy tool does it:
//
//   /srv/app/releases/<version>/{server.js, package.json, VERSION[, health.json]}
//   /srv/app/current -> /srv/app/releases/<version>
//   /srv/app/shared/{app.pid, log/app.log, log/access.log}
//
// buildAppTarball() makes the .tgz a deploy test uploads (files at the top level, so a deploy does
// `mkdir -p /srv/app/releases/v2 && tar -xzf app-v2.tgz -C /srv/app/releases/v2`).
import {
  copyFileSync,
  lchownSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join, resolve } from 'node:path';
import { mustRun } from './proc.js';
import { repoRoot } from './repo.js';

export const APP_PORT = 8080;
/** inside a web host */
export const APP_ROOT = '/srv/app';
/** the supervisor's pid file inside a web host */
export const APP_PID_FILE = '/run/fab-app.pid';
/** what `systemctl restart app` is in the lab: run over SSH as fabts; then poll GET /health */
export const APP_RESTART = `sudo kill -HUP $(cat ${APP_PID_FILE})`;
/** release every web host gets at `up` */
export const APP_INITIAL_VERSION = 'v1';

export const appSourceDir = () => join(repoRoot(), 'test', 'lab', 'app');

export interface AppReleaseOptions {
  /** /health answers `status` (default 500) on every host */
  bad?: boolean;
  /** /health answers `status` (default 500) only on these hosts */
  badOn?: string[];
  /** the status a bad /health answers (default 500) */
  status?: number;
  /** the app exits 1 at start (on every host, or only on crashOn): the supervisor keeps restarting it */
  crash?: boolean;
  crashOn?: string[];
  /** the app waits this long before it listens (a slow start) */
  startDelayMs?: number;
  /** the slow start only on these hosts (health.json has one host list: not with badOn or crashOn) */
  startDelayOn?: string[];
}

const VERSION_RE = /^[A-Za-z0-9][A-Za-z0-9._+-]{0,63}$/;

function checkVersion(version: string): void {
  if (!VERSION_RE.test(version))
    throw new Error(`lab app: bad version ${JSON.stringify(version)} (letters, digits, . _ + -)`);
}

/** The health.json of a release, or undefined for a healthy one. */
export function healthJson(opts: AppReleaseOptions): Record<string, unknown> | undefined {
  if ((opts.bad || opts.badOn) && (opts.crash || opts.crashOn))
    throw new Error('lab app: a release is either bad or crashing, not both');
  const h: Record<string, unknown> = {};
  if (opts.bad || opts.badOn) {
    h.status = opts.status ?? 500;
    if (opts.badOn && !opts.bad) h.hosts = [...opts.badOn];
  }
  if (opts.crash || opts.crashOn) {
    h.crash = true;
    if (opts.crashOn && !opts.crash) h.hosts = [...opts.crashOn];
  }
  if (opts.startDelayOn && (opts.badOn || opts.crashOn))
    throw new Error('lab app: startDelayOn cannot be combined with badOn or crashOn (one host list)');
  if (opts.startDelayMs) h.startDelayMs = opts.startDelayMs;
  if (opts.startDelayMs && opts.startDelayOn) h.hosts = [...opts.startDelayOn];
  return Object.keys(h).length ? h : undefined;
}

/** Write the files of one release into `dir` (created). */
export function writeRelease(dir: string, version: string, opts: AppReleaseOptions = {}): void {
  checkVersion(version);
  mkdirSync(dir, { recursive: true, mode: 0o755 });
  copyFileSync(join(appSourceDir(), 'server.mjs'), join(dir, 'server.js'));
  writeFileSync(join(dir, 'package.json'), '{ "name": "fab-lab-app", "private": true, "type": "module" }\n');
  writeFileSync(join(dir, 'VERSION'), `${version}\n`);
  const health = healthJson(opts);
  if (health) writeFileSync(join(dir, 'health.json'), JSON.stringify(health) + '\n');
}

/**
 * Build `<outDir>/app-<version>.tgz` (tar -czf, files at the top level, owner 0, modes 0644) and
 * return its absolute path.
 */
export async function buildAppTarball(outDir: string, version: string, opts: AppReleaseOptions = {}): Promise<string> {
  checkVersion(version);
  const out = resolve(outDir);
  mkdirSync(out, { recursive: true });
  const stage = mkdtempSync(join(out, `.stage-${version}-`));
  try {
    writeRelease(stage, version, opts);
    const file = join(out, `app-${version}.tgz`);
    const files = readdirSync(stage).sort();
    await mustRun('tar', [
      '-czf',
      file,
      '--owner=0',
      '--group=0',
      '--numeric-owner',
      '--mode=u=rw,go=r',
      '-C',
      stage,
      ...files,
    ]);
    return file;
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

function chownTree(path: string, uid: number, gid: number): void {
  lchownSync(path, uid, gid); // never follow `current`: its target is a path inside the host
  if (lstatSync(path).isDirectory()) for (const f of readdirSync(path)) chownTree(join(path, f), uid, gid);
}

/**
 * Lab side (as root): put a fresh /srv/app with `version` as the current release into a web host's
 * root (`<host root>/srv/app`, everything owned by `owner`). Removes what a previous lab left there.
 */
export function installApp(
  hostRoot: string,
  owner: { uid: number; gid: number },
  version = APP_INITIAL_VERSION,
  opts: AppReleaseOptions = {},
): void {
  const root = `${hostRoot}${APP_ROOT}`;
  rmSync(root, { recursive: true, force: true });
  writeRelease(`${root}/releases/${version}`, version, opts);
  mkdirSync(`${root}/shared/log`, { recursive: true, mode: 0o755 });
  symlinkSync(`${APP_ROOT}/releases/${version}`, `${root}/current`); // absolute, as seen inside the host
  chownTree(root, owner.uid, owner.gid);
  // the supervisor's pid file of a previous lab would point at a dead (or someone else's) pid
  rmSync(`${hostRoot}${APP_PID_FILE}`, { force: true });
}
