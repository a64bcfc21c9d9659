/**
 * Shell completion, pure: the words typed after `fab` (the last one being completed, maybe empty)
 * and what the project defines -> the candidate words. The shell scripts (completion-scripts.ts)
 * only ask `fab __complete` and show the answer; all the grammar knowledge lives here.
 */
import { camel, kebab } from '../model/args.js';
import { GROUPS } from '../report/groups.js';
import { byLong, byShort, OPTIONS, type OptionDef } from '../config/options.js';

export interface CompletionTask {
  name: string;
  shortName: string;
  args: { name: string; kind: string; required: boolean; choices?: readonly string[] }[];
}

export interface CompletionModel {
  tasks: readonly CompletionTask[];
  /** `dynamic`: computed at load time (hostSet(() => ...)), so never cached (complete-cache.ts). */
  hostSets: readonly { name: string; hosts: readonly string[]; roles: readonly string[]; dynamic?: boolean }[];
  /** Rolling runs in .fab/runs, for `fab resume <Tab>`. */
  runIds?: readonly string[];
}

/** `fab runs`, `fab resume ID`, `fab completion SHELL`: commands that are the first word. */
const SUBCOMMANDS: Record<string, (model: CompletionModel) => readonly string[]> = {
  runs: () => [],
  resume: (m) => m.runIds ?? [],
  completion: () => ['bash', 'fish', 'zsh'],
};

export interface Completion {
  words: string[];
  /** The word is not finished when completed (`--hide=`, `task:arg=`): no space after it. */
  nospace?: boolean;
  /** Complete a file name (the shell does it). */
  files?: boolean;
}

const NONE: Completion = { words: [] };
const FILE_OPTIONS = new Set(['fabfile', 'identity', 'sshConfig', 'knownHosts']);

function findTask(model: CompletionModel, name: string): CompletionTask | undefined {
  return model.tasks.find((t) => t.name === name) ?? model.tasks.find((t) => t.shortName === name);
}

function taskNames(model: CompletionModel): string[] {
  const shortCount = new Map<string, number>();
  for (const t of model.tasks) shortCount.set(t.shortName, (shortCount.get(t.shortName) ?? 0) + 1);
  // A short name two fabfiles share is ambiguous on the command line: offer only the full names.
  return [
    ...new Set(model.tasks.flatMap((t) => (shortCount.get(t.shortName) === 1 ? [t.shortName, t.name] : [t.name]))),
  ];
}

const takesValue = (def: OptionDef) => def.type !== 'flag';
/** Required args not given by name: a bare word fills them first, even when it names a task (as in argv.ts). */
const requiredLeft = (t: CompletionTask, named: ReadonlySet<string>) =>
  t.args.filter((a) => a.required && !named.has(a.name)).length;

/** What the words before the current one say: host sets, the task being typed, and what it was given. */
interface LineState {
  sets: string[];
  task?: CompletionTask;
  named: Set<string>;
  positional: number;
  /** The current word is the value of this option or task argument. */
  pending?: { option: OptionDef } | { arg: CompletionTask['args'][number] };
  afterDashDash: boolean;
}

function scan(before: readonly string[], model: CompletionModel): LineState {
  const st: LineState = { sets: [], named: new Set(), positional: 0, afterDashDash: false };
  const setNames = new Set(model.hostSets.map((s) => s.name));
  const last = before.length - 1;
  for (let i = 0; i <= last; i++) {
    const w = before[i]!;
    if (w === '--') return { ...st, afterDashDash: true };
    if (w.startsWith('--') && w.length > 2) {
      const eq = w.indexOf('=');
      const name = w.slice(2, eq === -1 ? undefined : eq);
      const negates = (a: CompletionTask['args'][number]) => a.kind === 'boolean' && `no-${kebab(a.name)}` === name;
      const arg = st.task?.args.find((a) => a.name === camel(name) || negates(a));
      if (arg) {
        st.named.add(arg.name);
        if (arg.kind !== 'boolean' && eq === -1 && i++ === last) st.pending = { arg };
        continue;
      }
      const def = byLong.get(name);
      if (def && takesValue(def) && eq === -1 && i++ === last) st.pending = { option: def };
      continue;
    }
    if (w.startsWith('-') && w.length > 1) {
      for (let j = 1; j < w.length; j++) {
        const def = byShort.get(w[j]!);
        if (!def || !takesValue(def)) continue;
        if (j === w.length - 1 && i++ === last) st.pending = { option: def };
        break;
      }
      continue;
    }
    const wantsPositional = st.task ? st.positional < requiredLeft(st.task, st.named) : false;
    const t = findTask(model, w.split(':')[0]!);
    if (!st.task && setNames.has(w)) st.sets.push(w);
    else if (t && (w.includes(':') || !wantsPositional)) {
      st.task = t;
      st.named = new Set();
      st.positional = 0;
    } else if (st.task) st.positional++;
  }
  return st;
}

const startingWith = (cur: string, words: Iterable<string>): string[] =>
  [...new Set(words)].filter((w) => w.startsWith(cur)).sort();

/** `web1,we` -> `web1,web2`, ...: a comma list completes its last item and skips items already there. */
function listValues(cur: string, values: readonly string[], prefix = ''): Completion {
  const comma = cur.lastIndexOf(',');
  const head = cur.slice(0, comma + 1);
  const have = new Set(head.split(',').filter(Boolean));
  return {
    words: startingWith(
      cur.slice(comma + 1),
      values.filter((v) => !have.has(v)),
    ).map((v) => `${prefix}${head}${v}`),
  };
}

function selectedSets(st: LineState, model: CompletionModel): CompletionModel['hostSets'] {
  const picked = model.hostSets.filter((s) => st.sets.includes(s.name));
  return picked.length ? picked : model.hostSets;
}

function optionValue(def: OptionDef, cur: string, st: LineState, model: CompletionModel, prefix = ''): Completion {
  if (FILE_OPTIONS.has(def.key)) return { words: [], files: true };
  const sets = selectedSets(st, model);
  switch (def.key) {
    case 'hosts':
    case 'excludeHosts':
      return listValues(
        cur,
        sets.flatMap((s) => s.hosts),
        prefix,
      );
    case 'roles':
      return listValues(
        cur,
        sets.flatMap((s) => s.roles),
        prefix,
      );
    case 'hide':
    case 'show':
      return listValues(cur, [...GROUPS, 'output', 'everything'], prefix);
    case 'display':
      return { words: startingWith(cur, taskNames(model)).map((w) => prefix + w) };
    default:
      return NONE;
  }
}

function options(cur: string, st: LineState): Completion {
  const taskArgs = (st.task?.args ?? []).filter((a) => !st.named.has(a.name)).map((a) => `--${kebab(a.name)}`);
  return { words: startingWith(cur, [...taskArgs, ...OPTIONS.map((o) => `--${o.long}`)]) };
}

/** Fabric's `task:a,name=v` syntax: `task:` completes `name=`, `task:name=` the choices of that arg. */
function fabricTaskWord(cur: string, t: CompletionTask): Completion {
  const cut = Math.max(cur.lastIndexOf(','), cur.indexOf(':'));
  const head = cur.slice(0, cut + 1);
  const item = cur.slice(cut + 1);
  const eq = item.indexOf('=');
  if (eq === -1) {
    const keys = [...t.args.map((a) => a.name), 'hosts', 'roles', 'exclude_hosts'].map((k) => `${k}=`);
    return { words: startingWith(item, keys).map((k) => head + k), nospace: true };
  }
  const arg = t.args.find((a) => a.name === camel(item.slice(0, eq)));
  return {
    words: startingWith(item.slice(eq + 1), arg?.choices ?? []).map((c) => `${head}${item.slice(0, eq + 1)}${c}`),
  };
}

export function complete(words: readonly string[], model: CompletionModel): Completion {
  const cur = words.at(-1) ?? '';
  const sub = Object.hasOwn(SUBCOMMANDS, words[0]!) ? SUBCOMMANDS[words[0]!] : undefined;
  if (sub && words.length > 1) return { words: words.length === 2 ? startingWith(cur, sub(model)) : [] };
  const st = scan(words.slice(0, -1), model);
  if (st.afterDashDash) return NONE;
  if (st.pending) {
    if ('option' in st.pending) return optionValue(st.pending.option, cur, st, model);
    return { words: startingWith(cur, st.pending.arg.choices ?? []) };
  }
  if (cur.startsWith('--') && cur.includes('=')) {
    const eq = cur.indexOf('=');
    const name = cur.slice(2, eq);
    const arg = st.task?.args.find((a) => a.name === camel(name));
    if (arg)
      return { words: startingWith(cur.slice(eq + 1), arg.choices ?? []).map((c) => `${cur.slice(0, eq + 1)}${c}`) };
    const def = byLong.get(name);
    return def && takesValue(def) ? optionValue(def, cur.slice(eq + 1), st, model, cur.slice(0, eq + 1)) : NONE;
  }
  if (cur.startsWith('--')) return options(cur, st);
  if (cur.startsWith('-') && cur.length > 1) {
    // -Hweb1,we: a value glued to its short option.
    const def = byShort.get(cur[1]!);
    return def && takesValue(def) ? optionValue(def, cur.slice(2), st, model, cur.slice(0, 2)) : NONE;
  }
  if (cur === '-') return options('--', st);
  const colon = cur.indexOf(':');
  if (colon !== -1) {
    const t = findTask(model, cur.slice(0, colon));
    return t ? fabricTaskWord(cur, t) : NONE;
  }
  const candidates: string[] = [];
  if (st.task) {
    const next = st.task.args.filter((a) => !st.named.has(a.name))[st.positional];
    if (next?.choices) candidates.push(...next.choices);
    const needsMore = st.positional < requiredLeft(st.task, st.named);
    if (!needsMore) candidates.push(...taskNames(model));
  } else {
    candidates.push(...model.hostSets.map((s) => s.name).filter((n) => !st.sets.includes(n)), ...taskNames(model));
    if (words.length === 1) candidates.push(...Object.keys(SUBCOMMANDS));
  }
  return { words: startingWith(cur, candidates) };
}
