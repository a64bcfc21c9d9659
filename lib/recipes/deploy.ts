import { randomBytes } from 'node:crypto';
import * as art from '../commands/artifact.js';
import * as rel from '../commands/release.js';
import { join } from '../commands/quote.js';
import { DeployError, UsageError } from '../errors.js';
import type { Host } from '../run/host.js';
import { fileName, type Artifact } from './artifact.js';

export { artifactKind, inspectArtifact, remoteArtifact, type Artifact, type ArtifactKind } from './artifact.js';

/**
 * Releases under `<appRoot>/releases/<version>`, `current` and `previous` symlinks switched
 * atomically (symlink to a temporary name, rename over), shared paths linked from `<appRoot>/shared`,
 * a restart command, and the last N releases kept. Deploying a version already unpacked does nothing.
 */

export interface AppSettings {
  root: string;
  keep: number;
  shared: string[];
  restart: string;
  restartSudo: boolean;
  python: string;
}

export function appSettings(ctx: Host): AppSettings {
  const s = ctx.settings;
  return {
    root: s.string('appRoot', '/srv/app'),
    keep: s.number('appKeep', 5),
    shared: s.list('appShared', []),
    restart: s.string('appRestart', 'true'),
    restartSudo: s.boolean('appRestartSudo', false),
    python: s.string('appPython', 'python3'),
  };
}

/** Upload to the host (under its own name: pip insists on wheel names) and check the bytes arrived whole. */
async function upload(ctx: Host, s: AppSettings, a: Artifact): Promise<{ dir: string; file: string }> {
  const dir = `${s.root}/releases/.upload-${a.version}-${randomBytes(4).toString('hex')}`;
  const file = `${dir}/${fileName(a)}`;
  await ctx.run(rel.makeDir(dir)).quiet();
  if (a.url) {
    const got = await ctx.run(art.download(a.url, file)).quiet().nothrow();
    if (got.failed) {
      await ctx.run(rel.removeDirs([dir])).quiet();
      throw new DeployError(
        ctx.host.name,
        'download',
        `download of ${a.url} failed (exit ${got.code}): ${got.stderr.trim().split('\n').pop() ?? ''}; nothing deployed`,
      );
    }
  } else await ctx.put(a.path, file);
  const sum = art.parseSha256sum((await ctx.run(art.sha256sum(file)).quiet()).stdout);
  // Under --dry-run nothing was uploaded: the check is shown, not made.
  if (sum !== a.sha256 && !ctx.dryRun) {
    await ctx.run(rel.removeDirs([dir])).quiet();
    throw new DeployError(
      ctx.host.name,
      'damaged',
      `${a.url ? 'download' : 'upload'} of ${fileName(a)} arrived damaged: sha256 ${sum} on the host, ${a.sha256} here`,
    );
  }
  return { dir, file };
}

/**
 * Make `releases/<version>` unless it is already there for this artifact. `build` fills a temp dir
 * from the uploaded file; the dir is renamed into place only when complete. A release of the same
 * version from another artifact (a fixed build) is replaced, with a warning.
 */
async function prepareRelease(
  ctx: Host,
  s: AppSettings,
  a: Artifact,
  inPlace: boolean,
  build: (dir: string, uploaded: string) => Promise<void>,
): Promise<'new' | 'present' | 'replaced'> {
  const l = rel.releaseLayout(s.root);
  const dest = l.release(a.version);
  await ctx.run(rel.ensureDirs(l)).quiet();
  const marker = await ctx.run(rel.readMarker(dest)).quiet().nothrow().probe();
  const have = marker.stdout.trim();
  if (have === a.sha256) return 'present';
  if (have && have !== rel.INCOMPLETE)
    ctx.warn(`release ${a.version} exists from another artifact (sha256 ${have.slice(0, 12)}...); replacing it`);
  const uploaded = await upload(ctx, s, a);
  // A virtualenv must be built where it will live (its scripts name their own path); a tarball is
  // unpacked beside it and renamed into place.
  const buildDir = inPlace ? dest : `${l.releases}/.build-${a.version}-${randomBytes(4).toString('hex')}`;
  const old = `${l.releases}/.old-${a.version}-${randomBytes(4).toString('hex')}`;
  try {
    await ctx.run(inPlace ? rel.replaceWithEmpty(dest, old) : rel.makeDir(buildDir)).quiet();
    await build(buildDir, uploaded.file);
    for (const p of s.shared) await ctx.run(rel.linkShared(l, buildDir, p)).quiet();
    await ctx.run(rel.writeMarker(buildDir, a.sha256)).quiet();
    if (!inPlace) await ctx.run(rel.moveIntoPlace(buildDir, dest, old)).quiet();
  } finally {
    await ctx
      .run(rel.removeDirs([uploaded.dir, old, ...(inPlace ? [] : [buildDir])]))
      .quiet()
      .nothrow();
  }
  return have ? 'replaced' : 'new';
}

const releaseOf = (s: AppSettings, link: string): string => rel.versionOf(rel.releaseLayout(s.root), link);

const readlink = async (ctx: Host, link: string) => (await ctx.run(rel.readLink(link)).quiet().probe()).stdout.trim();

/** Point `name` at `target` atomically: a new symlink under a temporary name renamed over the old one. */
const switchLink = (ctx: Host, s: AppSettings, name: 'current' | 'previous', target: string) =>
  ctx.run(rel.switchLink(rel.releaseLayout(s.root), name, target)).quiet();

async function restart(ctx: Host, s: AppSettings): Promise<void> {
  await (s.restartSudo ? ctx.sudo(s.restart) : ctx.run(s.restart));
}

/**
 * Make `version` current (the old current becomes `previous`), restart, and keep the last N releases.
 * Nothing happens when it is current already, unless its files were just replaced.
 */
async function activate(ctx: Host, s: AppSettings, version: string, replaced: boolean): Promise<boolean> {
  const l = rel.releaseLayout(s.root);
  const target = l.linkTarget(version);
  const { current, pending } = await readCurrent(ctx, l);
  const same = releaseOf(s, current) === version;
  // Pending: an earlier run switched `current` here but never finished the restart, so the old release may still run.
  if (same && !replaced && !pending) return false;
  const previous = current && !same ? current : await readlink(ctx, `${s.root}/previous`);
  if (current && !same) await switchLink(ctx, s, 'previous', current);
  await ctx.run(rel.switchCurrent(l, target)).quiet();
  await restart(ctx, s);
  await cleanup(ctx, s, [target, previous]);
  return true;
}

/** `current`'s target, and whether the restart after its switch is still pending (one command). */
async function readCurrent(ctx: Host, l: rel.ReleaseLayout): Promise<{ current: string; pending: boolean }> {
  const lines = (await ctx.run(rel.readCurrent(l)).quiet().probe()).lines();
  const pending = lines.includes(rel.RESTART_PENDING_SAID);
  return { current: lines.find((x) => x !== rel.RESTART_PENDING_SAID)?.trim() ?? '', pending };
}

/**
 * Keep the newest `appKeep` releases, and always what `current` and `previous` now point to. The links are
 * passed in, not read back: under --dry-run they were not switched, and the plan must show what a real run
 * would prune.
 */
async function cleanup(ctx: Host, s: AppSettings, links: string[]): Promise<void> {
  const l = rel.releaseLayout(s.root);
  // The restart is done: the pending mark goes with the listing (no round trip of its own); a dry run only lists.
  const list = ctx.dryRun
    ? ctx.run(rel.listNewestFirst(l)).quiet().probe()
    : ctx.run(join([rel.restartDone(l), rel.listNewestFirst(l)], ' && ')).quiet();
  const byAge = (await list).lines();
  const old = rel.releasesToPrune(byAge, new Set(links.filter(Boolean).map((link) => releaseOf(s, link))), s.keep);
  if (old.length) await ctx.run(rel.removeReleases(l, old)).quiet();
}

export interface DeployResult {
  version: string;
  unpacked: boolean;
  switched: boolean;
}

/** A tarball whose top level becomes the release directory. */
export async function deployTarball(ctx: Host, a: Artifact): Promise<DeployResult> {
  const s = appSettings(ctx);
  const r = await prepareRelease(ctx, s, a, false, async (dir, uploaded) => {
    await ctx.run(art.unpackTarball(uploaded, dir)).quiet();
  });
  return {
    version: a.version,
    unpacked: r !== 'present',
    switched: await activate(ctx, s, a.version, r === 'replaced'),
  };
}

/** A wheel installed with `pip --no-index` into a virtualenv inside the release. */
export async function deployWheel(ctx: Host, a: Artifact): Promise<DeployResult> {
  const s = appSettings(ctx);
  const r = await prepareRelease(ctx, s, a, true, async (dir, uploaded) => {
    await ctx.run(art.makeVenv(s.python, dir)).quiet();
    await ctx.run(art.pipInstallWheel(dir, uploaded)).quiet();
  });
  return {
    version: a.version,
    unpacked: r !== 'present',
    switched: await activate(ctx, s, a.version, r === 'replaced'),
  };
}

/**
 * An egg as easy_install deployed it, on today's Python: copied into the release, put on a virtualenv's
 * path with a .pth file (zipimport loads it), then checked by importing `appEggModule` (default: the
 * egg's project name) with the venv's python. The check runs before the switch.
 */
export async function deployEgg(ctx: Host, a: Artifact): Promise<DeployResult> {
  const s = appSettings(ctx);
  const egg = fileName(a);
  const module = ctx.settings.string('appEggModule', egg.split('-')[0]!.replace(/\W/g, '_'));
  const r = await prepareRelease(ctx, s, a, true, async (dir, uploaded) => {
    await ctx.run(art.makeEggVenv(s.python, dir, uploaded, egg)).quiet();
    const py = art.venvPython(dir);
    const purelib = (await ctx.run(art.purelibOf(py)).quiet()).stdout.trim();
    await ctx.run(art.writeEggPth(purelib, `${dir}/eggs/${egg}`)).quiet();
    const check = await ctx.run(art.importCheck(py, module)).quiet().nothrow();
    if (check.failed)
      throw new DeployError(
        ctx.host.name,
        'import',
        `egg ${egg}: \`import ${module}\` failed in the new release: ${check.stderr.trim().split('\n').pop()}; set appEggModule to the egg's module`,
      );
  });
  return {
    version: a.version,
    unpacked: r !== 'present',
    switched: await activate(ctx, s, a.version, r === 'replaced'),
  };
}

/** Any artifact fab knows, by its kind. */
export function deployArtifact(ctx: Host, a: Artifact): Promise<DeployResult> {
  return a.kind === 'wheel' ? deployWheel(ctx, a) : a.kind === 'egg' ? deployEgg(ctx, a) : deployTarball(ctx, a);
}

export interface ReleaseInfo {
  version: string;
  current: boolean;
  previous: boolean;
}

/** The releases on this host, oldest first, with which is current and previous. */
export async function listReleases(ctx: Host): Promise<ReleaseInfo[]> {
  const s = appSettings(ctx);
  const cur = releaseOf(s, await readlink(ctx, `${s.root}/current`));
  const prev = releaseOf(s, await readlink(ctx, `${s.root}/previous`));
  const listed = (
    await ctx
      .run(rel.listOldestFirst(rel.releaseLayout(s.root)))
      .quiet()
      .probe()
  ).lines();
  const dirs = listed.filter((d) => d && !d.startsWith('.'));
  return dirs.map((version) => ({ version, current: version === cur, previous: version === prev }));
}

/** Switch `current` back to `previous` (they swap), or to the release `to`, and restart. */
export async function rollbackRelease(ctx: Host, to?: string): Promise<string> {
  const s = appSettings(ctx);
  let prev = await readlink(ctx, `${s.root}/previous`);
  if (to !== undefined) {
    if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(to))
      throw new UsageError(`rollback --to ${JSON.stringify(to)}: not a release name`, 'fab SET releases lists them');
    const ok = await ctx
      .run(rel.isComplete(rel.releaseLayout(s.root), to))
      .quiet()
      .nothrow()
      .probe();
    if (ok.failed) {
      const have = (await listReleases(ctx)).map((r) => r.version).join(', ') || 'none';
      throw new DeployError(
        ctx.host.name,
        'no-release',
        `no complete release ${to} in ${s.root}/releases (releases: ${have}); nothing changed`,
      );
    }
    prev = rel.releaseLayout(s.root).linkTarget(to);
    if (releaseOf(s, await readlink(ctx, `${s.root}/current`)) === to) return to;
  }
  if (!prev) throw new DeployError(ctx.host.name, 'no-release', `no previous release to roll back to in ${s.root}`);
  const current = await readlink(ctx, `${s.root}/current`);
  const l = rel.releaseLayout(s.root);
  await ctx.run(rel.switchCurrent(l, prev)).quiet();
  if (current) await switchLink(ctx, s, 'previous', current);
  await restart(ctx, s);
  await ctx.run(rel.restartDone(l)).quiet();
  return releaseOf(s, prev);
}
