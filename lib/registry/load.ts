import { existsSync, readdirSync, statSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import { loadModule } from '../loader/require-ts.js';
import { FabfileError, UsageError, errorMessage } from '../errors.js';
import { didYouMean } from '../util/suggest.js';
import { isHostSet, type HostSet } from '../model/hostset.js';
import { validateArgDefaults } from '../model/validate.js';
import { isTask, type Task } from '../task/task.js';

export interface Registry {
  root?: string;
  files: string[];
  tasks: Task[];
  hostSets: Map<string, HostSet>;
}

const MODULE = /\.(ts|js|mjs)$/;
const isModule = (f: string) => MODULE.test(f) && !f.endsWith('.d.ts') && !basename(f).startsWith('_');

function modulesIn(dir: string): string[] {
  return readdirSync(dir)
    .filter(isModule)
    .sort()
    .map((f) => join(dir, f));
}

/** Fabric 1 looks for fabfile.py upwards from the cwd; we look for fabfiles/ or fabfile.ts. */
export function findFabfiles(cwd: string, explicit: readonly string[]): { root?: string; files: string[] } {
  if (explicit.length) {
    const files: string[] = [];
    let root: string | undefined;
    for (const p of explicit) {
      const abs = resolve(cwd, p);
      if (!existsSync(abs))
        throw new UsageError(`-f ${p}: no such file or folder`, 'give a fabfile (.ts) or a folder of fabfiles');
      const dir = statSync(abs).isDirectory();
      files.push(...(dir ? modulesIn(abs) : [abs]));
      // A fabfiles/ folder (or a file in one) lives in the project root, beside hosts/.
      const home = dir ? abs : dirname(abs);
      root ??= basename(home) === 'fabfiles' || dir ? dirname(home) : home;
    }
    return { ...(root ? { root } : {}), files };
  }
  for (let dir = cwd; ; dir = dirname(dir)) {
    if (existsSync(join(dir, 'fabfiles')) && statSync(join(dir, 'fabfiles')).isDirectory())
      return { root: dir, files: modulesIn(join(dir, 'fabfiles')) };
    for (const f of ['fabfile.ts', 'fabfile.mjs', 'fabfile.js'])
      if (existsSync(join(dir, f))) return { root: dir, files: [join(dir, f)] };
    if (dirname(dir) === dir) return { files: [] };
  }
}

async function importFile(file: string): Promise<Record<string, unknown>> {
  try {
    return await loadModule(file);
  } catch (err) {
    const msg = errorMessage(err);
    throw new FabfileError(file, msg.includes(file) ? msg.replace(`${file}:`, 'line ') : msg);
  }
}

const stem = (file: string) => basename(file, extname(file));

/**
 * Imports fabfiles and host files; names tasks `<file>.<export>` and host sets by export name.
 * `hostsOnly` skips the fabfiles: an ad-hoc `fab SET -- cmd` needs only the host sets.
 */
export async function loadRegistry(
  cwd: string,
  explicit: readonly string[],
  opts: { hostsOnly?: boolean } = {},
): Promise<Registry> {
  const found = findFabfiles(cwd, explicit);
  const { root } = found;
  const files = opts.hostsOnly ? [] : found.files;
  const hostsDir = join(root ?? cwd, 'hosts');
  const hostFiles = existsSync(hostsDir) && statSync(hostsDir).isDirectory() ? modulesIn(hostsDir) : [];
  const all = [...files, ...hostFiles.filter((f) => !files.includes(f))];
  const modules: Record<string, unknown>[] = [];
  // One at a time: the order of side effects in fabfiles stays the order of the files.
  for (const f of all) modules.push(await importFile(f));
  const reg: Registry = { ...(root ? { root } : {}), files: all, tasks: [], hostSets: new Map() };
  modules.forEach((mod, i) => {
    const file = all[i]!;
    const prefix = ['fabfile', 'index'].includes(stem(file)) ? '' : `${stem(file)}.`;
    for (const [exp, value] of Object.entries(mod)) {
      const exportName = exp === 'default' ? stem(file) : exp;
      if (isTask(value)) {
        value.shortName = exportName;
        value.name = exp === 'default' ? exportName : `${prefix}${exportName}`;
        value.file = file;
        validateArgDefaults(file, value.name, value.spec.args);
        reg.tasks.push(value);
      } else if (isHostSet(value)) {
        const other = reg.hostSets.get(exportName);
        if (other && other !== value)
          throw new FabfileError(file, `host set "${exportName}" is also defined in ${other.file}`);
        value.name = exportName;
        value.file = file;
        reg.hostSets.set(exportName, value);
      }
    }
  });
  return reg;
}

/** A task by full name (`nginx.disableLb`) or by a short name that only one fabfile uses. */
export function findTask(reg: Registry, name: string): Task | undefined {
  const full = reg.tasks.find((t) => t.name === name);
  if (full) return full;
  const short = reg.tasks.filter((t) => t.shortName === name);
  if (short.length > 1) {
    throw new UsageError(
      `task "${name}" is defined in several fabfiles: ${short.map((t) => t.name).join(', ')}`,
      `name one of them in full, e.g. fab ${short[0]!.name}`,
    );
  }
  return short[0];
}

export function taskNames(reg: Registry): string[] {
  return reg.tasks.flatMap((t) => [t.name!, t.shortName!]);
}

export function requireTask(reg: Registry, name: string): Task {
  const t = findTask(reg, name);
  if (!t) throw new UsageError(`unknown task "${name}"`, didYouMean(name, taskNames(reg)) || 'run fab --list');
  return t;
}
