import { join, sh, type ShellCommand } from './quote.js';

/**
 * Releases on a host, as shell (pure): `<root>/releases/<version>` directories, each complete once its
 * `.fab-release` marker (the artifact's sha256) is written, `shared/` paths linked into them, and the
 * `current`/`previous` symlinks switched atomically (a new link under a temporary name renamed over).
 */

export const MARKER = '.fab-release';
/** What `readMarker` prints for a release directory without its marker (an interrupted unpack). */
export const INCOMPLETE = 'incomplete';

export interface ReleaseLayout {
  root: string;
  releases: string;
  shared: string;
  release(version: string): string;
  /** `releases/<version>`: what `current` and `previous` point to (relative, so the root can move). */
  linkTarget(version: string): string;
}

export function releaseLayout(root: string): ReleaseLayout {
  return {
    root,
    releases: `${root}/releases`,
    shared: `${root}/shared`,
    release: (version) => `${root}/releases/${version}`,
    linkTarget: (version) => `releases/${version}`,
  };
}

/**
 * The release a `current`/`previous` link points to: `releases/1.2` or `<root>/releases/1.2` (an absolute
 * link, as older layouts and the lab's /srv/app have) -> `1.2`; anything else as it is.
 */
export function versionOf(l: ReleaseLayout, link: string): string {
  for (const prefix of ['releases/', `${l.releases}/`]) if (link.startsWith(prefix)) return link.slice(prefix.length);
  return link;
}

export const ensureDirs = (l: ReleaseLayout): ShellCommand => sh`mkdir -p -- ${l.releases} ${l.shared}`;

/** Make one new directory (fails if it exists: its name is fresh). */
export const makeDir = (dir: string): ShellCommand => sh`mkdir -- ${dir}`;

/** Remove directories, e.g. an upload or a half-built release. */
export const removeDirs = (dirs: readonly string[]): ShellCommand => sh`rm -rf -- ${dirs}`;

/** Print the marker of a release (its sha256), `incomplete` when the dir exists without it, nothing when absent. */
export const readMarker = (rel: string): ShellCommand =>
  sh`cat -- ${`${rel}/${MARKER}`} 2>/dev/null || { [ -e ${rel} ] && echo ${INCOMPLETE}; }`;

/** The marker goes in last: a release dir without it is an interrupted unpack, redone next time. */
export const writeMarker = (dir: string, sha256: string): ShellCommand =>
  sh`printf '%s\\n' ${sha256} > ${`${dir}/${MARKER}`}`;

/** Move an existing release aside to `old` (removed later), then make its directory afresh. */
export const replaceWithEmpty = (rel: string, old: string): ShellCommand =>
  sh`{ [ ! -e ${rel} ] || mv -T -- ${rel} ${old}; } && mkdir -- ${rel}`;

/** Move an existing release aside to `old`, then rename the complete build dir into its place. */
export const moveIntoPlace = (build: string, rel: string, old: string): ShellCommand =>
  sh`{ [ ! -e ${rel} ] || mv -T -- ${rel} ${old}; } && mv -T -- ${build} ${rel}`;

/** Replace `<build>/<path>` with a symlink to `<root>/shared/<path>` (made if missing). */
export const linkShared = (l: ReleaseLayout, build: string, path: string): ShellCommand => {
  const shared = `${l.shared}/${path}`;
  const inRelease = `${build}/${path}`;
  return join(
    [
      sh`mkdir -p -- ${shared}`,
      sh`rm -rf -- ${inRelease}`,
      sh`mkdir -p -- "$(dirname -- ${inRelease})"`,
      sh`ln -s -- ${shared} ${inRelease}`,
    ],
    ' && ',
  );
};

/** Print a symlink's target, or nothing when it does not exist. */
export const readLink = (link: string): ShellCommand => sh`readlink -- ${link} || true`;

/** Point `<root>/<name>` at `target` atomically: rename replaces the old link in one step. */
export const switchLink = (l: ReleaseLayout, name: 'current' | 'previous', target: string): ShellCommand =>
  sh`cd -- ${l.root} && ln -sfn -- ${target} ${`.${name}.tmp`} && mv -Tf -- ${`.${name}.tmp`} ${name}`;

/**
 * In `<root>` from before `current` is switched until the restart after it succeeded: a run stopped between the two
 * (a second Ctrl-C, a lost connection) leaves the old release running while `current` names the new one.
 */
export const RESTART_PENDING = '.fab-restart-pending';
/** What `readCurrent` prints when RESTART_PENDING is there. */
export const RESTART_PENDING_SAID = 'fab-restart-pending';

/** Print `current`'s target (nothing when there is none), then RESTART_PENDING_SAID on a line when it is there. */
export const readCurrent = (l: ReleaseLayout): ShellCommand => {
  const mark = `${l.root}/${RESTART_PENDING}`;
  return sh`readlink -- ${`${l.root}/current`}; [ ! -e ${mark} ] || echo ${RESTART_PENDING_SAID}; true`;
};

/** `switchLink` of `current`, with RESTART_PENDING written first (`restartDone` removes it after the restart). */
export const switchCurrent = (l: ReleaseLayout, target: string): ShellCommand =>
  sh`cd -- ${l.root} && : > ${RESTART_PENDING} && ln -sfn -- ${target} .current.tmp && mv -Tf -- .current.tmp current`;

/** The restart after a switch of `current` succeeded. */
export const restartDone = (l: ReleaseLayout): ShellCommand => sh`rm -f -- ${`${l.root}/${RESTART_PENDING}`}`;

/** Release directory names, newest first. */
export const listNewestFirst = (l: ReleaseLayout): ShellCommand => sh`ls -1t -- ${l.releases}`;

/** Release directory names, oldest first; nothing when there is no releases dir. */
export const listOldestFirst = (l: ReleaseLayout): ShellCommand =>
  sh`cd -- ${l.releases} 2>/dev/null && ls -1tr -- . || true`;

/** Remove the named releases (names as `releasesToPrune` gives them). */
export const removeReleases = (l: ReleaseLayout, names: readonly string[]): ShellCommand =>
  sh`cd -- ${l.releases} && rm -rf -- ${names}`;

/** Exit 0 when the release is complete (has its marker). */
export const isComplete = (l: ReleaseLayout, version: string): ShellCommand =>
  sh`test -f ${`${l.release(version)}/${MARKER}`}`;

/**
 * Which releases to delete so `keep` remain: never the ones in `protect` (current, previous), then
 * the newest of the rest until `keep` is reached. `newestFirst` as `ls -1t` prints it.
 */
export function releasesToPrune(newestFirst: readonly string[], protect: ReadonlySet<string>, keep: number): string[] {
  return newestFirst.filter((r) => !protect.has(r)).slice(Math.max(0, keep - protect.size));
}
