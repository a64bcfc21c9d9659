// Locate the fabts repository root from this file's location, and the places where labs keep their state.
// Works both from test/lab/*.ts (vitest) and from the compiled dist/test/lab/*.js (npm run lab).
import { createHash } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, readlinkSync, rmSync, rmdirSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let d = from; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fabts') return d;
      } catch {
        /* unreadable package.json: keep walking */
      }
    }
    if (d === dirname(d)) throw new Error(`lab: no package.json named fabts above ${from}`);
  }
}

/**
 * All labs of all clones live under this folder (FABTS_LAB_ROOT overrides), not in the clone: sshd reads
 * authorized_keys as the lab's login user, who cannot enter a clone inside a 0700 or 0750 home folder.
 */
export const labBase = () => process.env.FABTS_LAB_ROOT ?? '/var/tmp/fabts-lab';

/** This clone's folder under labBase(): one per repository path, so two clones never share lab files. */
export function labRoot(root: string = repoRoot()): string {
  return join(labBase(), createHash('sha256').update(root).digest('hex').slice(0, 12));
}

/** Create `dir` and its parents up to labBase() as root-owned 0711 folders: the lab users may pass, not list. */
export function ensureLabFolder(dir: string): string {
  const base = labBase();
  const chain: string[] = [];
  for (let d = dir; d.startsWith(base) && d.length >= base.length; d = dirname(d)) chain.unshift(d);
  mkdirSync(dir, { recursive: true, mode: 0o711 });
  for (const d of chain) chmodSync(d, 0o711);
  return dir;
}

/** Remove the empty folders from dirname(dir) up to (not including) labBase(). */
export function removeEmptyLabFolders(dir: string): void {
  for (let d = dirname(dir); d.startsWith(`${labBase()}/`); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch {
      return;
    } // not empty (another lab of this clone), or gone
  }
}

/** A lab dir of this clone, e.g. labDir('lab-test'); labDir('test', 'lab-unit') for the labs of one test run. */
export const labDir = (...parts: string[]) => join(labRoot(), ...parts);

/** Default lab dir for the CLI (demo/manual use); <repo>/.fab/lab is a symlink to it. */
export const defaultLabDir = () => labDir('lab');
/** Labs made by a test run (shared lab and the lab's own tests); global teardown removes the folder. */
export const testRunDir = (...parts: string[]) => labDir('test', ...parts);
/** The shared lab of a test run (vitest globalSetup). */
export const testLabDir = () => testRunDir('lab-test');

/**
 * Lab network numbers (127.<net>.0.x, 10.<net>.x.x). FABTS_LAB_NET_OFFSET shifts them all, so two clones
 * (or two developers' worktrees) can run their suites at once on one machine.
 */
const NET_OFFSET = Number(process.env.FABTS_LAB_NET_OFFSET ?? 0);
export const LAB_NETS = {
  cli: 11 + NET_OFFSET, // npm run lab, demo
  test: 12 + NET_OFFSET, // the shared lab of a test run
  labTests: 13 + NET_OFFSET, // lab.test.ts, lab-lifecycle.test.ts
  bench: 14 + NET_OFFSET, // bench/*
  webTests: 15 + NET_OFFSET, // web-app.test.ts, lb.test.ts
  dbTests: 16 + NET_OFFSET, // test/integration/db-*.test.ts (db: true labs)
  guest: 17 + NET_OFFSET, // the storage guest (guest-storage.test.ts): sshd forwarded from 127.<net>.0.1
  jumpChain: 18 + NET_OFFSET, // hardening-jump.test.ts: bastion, private1, private2 (jump2: two hops)
  sshTests: 19 + NET_OFFSET, // ssh-exec.test.ts: pty/requiretty, reboot, transfers (own small lab)
} as const;
export const TEST_LAB_NET = LAB_NETS.test;
export const TEST_LAB_WEB = 10;

/** <repo>/.fab/lab -> defaultLabDir(): hosts/lab.ts and `ssh -F .fab/lab/ssh_config` find the CLI's lab there. */
export function linkCliLab(root: string = repoRoot()): string {
  const link = join(root, '.fab', 'lab');
  const target = defaultLabDir();
  let current: string | undefined;
  try {
    current = readlinkSync(link);
  } catch {
    /* absent, or a folder of the old layout */
  }
  if (current !== target) {
    rmSync(link, { recursive: true, force: true });
    mkdirSync(dirname(link), { recursive: true });
    symlinkSync(target, link);
  }
  return link;
}
