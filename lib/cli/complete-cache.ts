/**
 * The completion cache: every word the shells complete, written by `fab __complete` into a per-directory
 * file that complete-awk.ts answers from, plus the files it was built from. The scripts use it only
 * while every listed file and folder is no newer than the cache file itself (shell `-nt`, no process),
 * so a task added to a fabfile, a host added to a host file or a new fabfile sends the next Tab to
 * `fab __complete`, which rewrites it. The cache file's mtime is set to a second before the load began:
 * a file changed during the load (or within the kernel's coarse timestamp tick) counts as newer.
 */
import { existsSync, mkdirSync, renameSync, statSync, utimesSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, sep } from 'node:path';
import { OPTIONS } from '../config/options.js';
import { kebab } from '../model/args.js';
import { GROUPS } from '../report/groups.js';
import { libDir } from '../util/lib-dir.js';
import { CACHE_FORMAT } from './complete-awk.js';
import type { CompletionModel } from './complete.js';

export const CACHE_NAME = '_fab-complete.tsv';

/** The shell's `${XDG_CACHE_HOME:-$HOME/.cache}/fabts/complete$PWD/_fab-complete.tsv`: no hashing in a shell. */
export function cachePath(env: NodeJS.ProcessEnv, pwd: string): string {
  return `${env.XDG_CACHE_HOME || `${env.HOME ?? ''}/.cache`}/fabts/complete${pwd}/${CACHE_NAME}`;
}

/**
 * What the cache depends on: the physical directory, files and folders that must not be newer than it,
 * and what function-defined host sets said they read (files that must stay absent, environment variables).
 */
export interface Watch {
  dir: string;
  files: readonly string[];
  absent?: readonly string[];
  env?: readonly (readonly [string, string | undefined])[];
}

const unsafe = (s: string) => /[\t\n\r]/.test(s);

/** The cache file's text, or undefined when a word cannot be one field of a tab-separated line. */
export function cacheText(model: CompletionModel, watch: Watch): string | undefined {
  const rows: string[][] = [['d', watch.dir], ...watch.files.map((f) => ['w', f])];
  for (const f of watch.absent ?? []) rows.push(['a', f]);
  for (const [name, value] of watch.env ?? []) rows.push(value === undefined ? ['E', name] : ['e', name, value]);
  for (const o of OPTIONS) rows.push(['o', o.long, o.short ?? '', o.type, o.key]);
  for (const g of GROUPS) rows.push(['g', g]);
  for (const t of model.tasks) {
    rows.push(['t', t.name, t.shortName]);
    for (const a of t.args) {
      rows.push(['r', a.name, kebab(a.name), a.kind, a.required ? '1' : '0']);
      for (const c of a.choices ?? []) rows.push(['c', c]);
    }
  }
  for (const s of model.hostSets) {
    rows.push(['s', s.name, s.dynamic ? '1' : '0']);
    // A set computed at load time may read anything (a cloud API): its hosts are cached only when it
    // declared what it reads (hostSet(fn, { inputs })), and those inputs are in the watch list.
    if (s.dynamic) continue;
    for (const h of s.hosts) rows.push(['h', h]);
    for (const r of s.roles) rows.push(['l', r]);
  }
  for (const id of model.runIds ?? []) rows.push(['u', id]);
  if (rows.some((r) => r.some(unsafe))) return undefined;
  return [CACHE_FORMAT, ...rows.map((r) => r.join('\t'))].map((l) => `${l}\n`).join('');
}

const isDir = (p: string) => existsSync(p) && statSync(p).isDirectory();
const fabtsDist = `${dirname(libDir())}${sep}`;

/** The modules in require's cache: after a load, minus those before it, are what the fabfiles imported. */
export function requiredFiles(): Set<string> {
  return new Set(Object.keys(createRequire(import.meta.url).cache));
}

/**
 * Everything the load read or searched: the folders from the cwd up to the project root (a fabfile
 * added on the way, or hosts/ created, changes their mtime), fabfiles/, hosts/, .fab/runs, every
 * module loaded (fabfiles, host files and the local files they import; for a package, its node_modules'
 * .package-lock.json) and fabts's own option list.
 */
export function watchList(
  cwd: string,
  root: string | undefined,
  modules: Iterable<string>,
  fabtsDir = fabtsDist,
): string[] {
  const files = new Set<string>();
  for (let dir = cwd; ; dir = dirname(dir)) {
    files.add(dir);
    if (dir === root || dirname(dir) === dir) break;
  }
  if (root)
    for (const d of ['fabfiles', 'hosts', '.fab', join('.fab', 'runs')])
      if (isDir(join(root, d))) files.add(join(root, d));
  const nm = `${sep}node_modules${sep}`;
  for (const m of modules) {
    if (m.startsWith(fabtsDir)) continue;
    if (!m.includes(nm)) files.add(m);
    else {
      // A package a fabfile imports: npm rewrites node_modules/.package-lock.json on every install.
      const dir = m.slice(0, m.lastIndexOf(nm) + nm.length - 1);
      files.add(existsSync(join(dir, '.package-lock.json')) ? join(dir, '.package-lock.json') : dir);
    }
  }
  // fab's own build: the option list and output groups (dist/lib), the CLI's entry (dist/fab; every build rewrites it).
  for (const f of ['config/options.js', 'report/groups.js', 'cli/main.js']) {
    const own = join(libDir(), f);
    if (existsSync(own)) files.add(own); // the build's; absent when run from the sources (vitest)
  }
  return [...files];
}

/** Writes the cache (atomically); a cache that cannot be written only costs speed. */
export function writeCache(file: string, text: string, loadStartMs: number): void {
  try {
    mkdirSync(dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    // Only yours: it holds the values of the variables host sets declared (complete-command.ts).
    writeFileSync(tmp, text, { mode: 0o600 });
    const mtime = Math.floor(loadStartMs / 1000) - 1;
    utimesSync(tmp, mtime, mtime);
    renameSync(tmp, file);
  } catch {
    /* read-only or odd cache dir: every Tab asks fab __complete */
  }
}
