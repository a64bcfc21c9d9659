/**
 * `fab __complete SHELL -- WORDS...`: the hidden subcommand the completion scripts call. It loads the
 * fabfiles and host sets of the current directory (through the loader's content-hash cache; no SSH),
 * asks the pure engine (complete.ts) and prints one candidate per line. It never fails loudly: a
 * fabfile that does not load still leaves the options and host sets to complete. It also writes the
 * cache the scripts answer warm Tabs from (complete-cache.ts), when the whole default registry loaded.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { errorMessage } from '../errors.js';
import { targetsOf, type HostSetInputs } from '../model/hostset.js';
import { loadRegistry, type Registry } from '../registry/load.js';
import { preScan } from './argv.js';
import { complete, type Completion, type CompletionModel } from './complete.js';
import { splitLine } from './complete-line.js';
import { cachePath, cacheText, requiredFiles, watchList, writeCache } from './complete-cache.js';

/** The model, and what the function-defined host sets that declared their inputs read. */
async function model(reg: Registry): Promise<{ m: CompletionModel; inputs: HostSetInputs[] }> {
  const tasks = reg.tasks.map((t) => ({
    name: t.name!,
    shortName: t.shortName!,
    args: Object.entries(t.spec.args ?? {}).map(([name, s]) => ({
      name,
      kind: s.kind,
      required: !s.hasDefault,
      ...(s.choices ? { choices: s.choices } : {}),
    })),
  }));
  const hostSets: CompletionModel['hostSets'][number][] = [];
  const inputs: HostSetInputs[] = [];
  for (const [name, hs] of reg.hostSets) {
    let declared: HostSetInputs | undefined;
    try {
      declared = hs.inputs?.();
    } catch {
      /* a declaration that fails declares nothing */
    }
    // Undeclared inputs: the hosts cannot be cached (complete-cache.ts), only the set's name.
    const dynamic = hs.dynamic && !declared ? { dynamic: true } : {};
    try {
      const hosts = targetsOf(name, await hs.resolve());
      const roles = [...new Set(hosts.flatMap((h) => h.roles))];
      hostSets.push({ name, hosts: hosts.map((h) => h.name), roles, ...dynamic });
    } catch {
      hostSets.push({ name, hosts: [], roles: [], ...dynamic });
    }
    if (declared) inputs.push(declared);
  }
  return { m: { tasks, hostSets, runIds: runIds(reg.root) }, inputs };
}

function runIds(root: string | undefined): string[] {
  try {
    return root
      ? readdirSync(join(root, '.fab', 'runs'))
          .filter((f) => f.endsWith('.ndjson'))
          .map((f) => f.slice(0, -7))
      : [];
  } catch {
    return []; // no runs yet
  }
}

/** The registry, and whether it is the whole default one (only that one is cached: no -f, nothing broken). */
async function loadQuietly(cwd: string, words: readonly string[]): Promise<{ reg?: Registry; whole: boolean }> {
  const { fabfile } = preScan(words);
  for (const hostsOnly of [false, true]) {
    try {
      return { reg: await loadRegistry(cwd, fabfile, { hostsOnly }), whole: !hostsOnly && !fabfile.length };
    } catch {
      /* a broken fabfile: try the host sets alone */
    }
  }
  return { whole: false };
}

/** Saves the model for the shells' warm path; only .ts modules, whose imports require's cache shows. */
function saveModel(
  { m, inputs }: { m: CompletionModel; inputs: readonly HostSetInputs[] },
  reg: Registry,
  cwd: string,
  before: Set<string>,
  env: NodeJS.ProcessEnv,
  t0: number,
) {
  if (!env.FAB_COMP_PWD?.startsWith('/') || reg.files.some((f) => !f.endsWith('.ts'))) return;
  const loaded = [...requiredFiles()].filter((f) => !before.has(f));
  const declared = inputs.flatMap((i) => (i.files ?? []).map((f) => resolve(cwd, f)));
  const files = [...watchList(cwd, reg.root, [...reg.files, ...loaded]), ...declared.filter((f) => existsSync(f))];
  const absent = declared.filter((f) => !existsSync(f));
  const vars = [...new Set(inputs.flatMap((i) => i.env ?? []))].map((k) => [k, env[k]] as const);
  const text = cacheText(m, { dir: cwd, files, absent, env: vars });
  if (text) writeCache(cachePath(env, env.FAB_COMP_PWD), text, t0);
}

/** Bash splits words at COMP_WORDBREAKS (`:` and `=` among them) and replaces only the last piece. */
export function forBash(c: Completion, cur: string, wordbreaks: string): string[] {
  let cut = -1;
  for (let i = 0; i < cur.length; i++) if (wordbreaks.includes(cur[i]!)) cut = i;
  return c.words.map((w) => (cut !== -1 && w.startsWith(cur.slice(0, cut + 1)) ? w.slice(cut + 1) : w));
}

export function formatCompletion(c: Completion, lines: string[]): string {
  const directives = [...(c.nospace ? [':nospace'] : []), ...(c.files ? [':files'] : [])];
  return [...directives, ...lines].map((l) => `${l}\n`).join('');
}

/** argv: `SHELL -- WORDS...`; bash gives the line up to the cursor as one word, the others the words after `fab`. */
export async function completeCommand(argv: readonly string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  const shell = argv[0] ?? '';
  const rest = argv.slice(argv.indexOf('--') + 1);
  const words = shell === 'bash' ? splitLine(rest[0] ?? '').slice(1) : [...rest];
  if (!words.length) words.push('');
  try {
    const t0 = Date.now();
    const before = requiredFiles();
    const { reg, whole } = await loadQuietly(cwd, words.slice(0, -1));
    const built = reg ? await model(reg) : { m: { tasks: [], hostSets: [] }, inputs: [] };
    if (reg && whole) saveModel(built, reg, cwd, before, env, t0);
    const c = complete(words, built.m);
    const cur = words.at(-1)!;
    return formatCompletion(c, shell === 'bash' ? forBash(c, cur, env.FAB_COMP_WORDBREAKS ?? '"\'><=;|&(:') : c.words);
  } catch (err) {
    // Completion must never print an error into the user's command line.
    if (env.FAB_COMPLETE_DEBUG) process.stderr.write(`fab __complete: ${errorMessage(err)}\n`);
    return '';
  }
}
