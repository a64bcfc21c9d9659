import { UsageError } from '../errors.js';
import { camel } from '../model/args.js';
import { didYouMean } from '../util/suggest.js';
import { parseTaskWord } from './fabric-grammar.js';
import { byLong, byShort, defaultOptions, OPTIONS, type FabOptions, type OptionDef } from '../config/options.js';

/**
 * The `fab` command line, pure: `fab [SET...] [opts] TASK[:args] [POS...] [--arg v] ... [-- CMD]`.
 * A `--name` right after a task that declares `name` belongs to the task, so `deploy --version 1.2.3`
 * is an argument of deploy while `fab --version` prints fab's version.
 */

export interface TaskInfo {
  name: string;
  args: { name: string; boolean: boolean; required: boolean }[];
}

export interface ParseContext {
  isHostSet(word: string): boolean;
  findTask(name: string): TaskInfo | undefined;
  /** Names for "did you mean". */
  names(): string[];
}

export interface TaskCall {
  name: string;
  positional: string[];
  named: Record<string, string | boolean>;
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
}

export interface Invocation {
  options: FabOptions;
  hostSets: string[];
  tasks: TaskCall[];
  command?: string;
}

/** Only what is needed before fabfiles are loaded: where they are, and the fast paths. */
export function preScan(argv: readonly string[]): { fabfile: string[]; version: boolean; help: boolean } {
  const out = { fabfile: [] as string[], version: false, help: false };
  let sawWord = false;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--') break;
    if (a === '-f' || a === '--fabfile') out.fabfile.push(argv[++i] ?? '');
    else if (a.startsWith('--fabfile=')) out.fabfile.push(a.slice(10));
    else if (/^-f./.test(a)) out.fabfile.push(a.slice(2));
    else if ((a === '-V' || a === '--version') && !sawWord) out.version = true;
    else if ((a === '-h' || a === '--help') && !sawWord) out.help = true;
    else if (!a.startsWith('-')) sawWord = true;
  }
  return out;
}

/** Options the command line set itself (config files and FAB_* variables give way to them). */
const given = new WeakMap<FabOptions, Set<keyof FabOptions>>();
export const explicitOptions = (opts: FabOptions): ReadonlySet<keyof FabOptions> => given.get(opts) ?? new Set();

function setOption(opts: FabOptions, def: OptionDef, value: string | boolean, flagText: string): void {
  const o = opts as unknown as Record<string, unknown>;
  if (!given.has(opts)) given.set(opts, new Set());
  given.get(opts)!.add(def.key);
  switch (def.type) {
    case 'flag': {
      // --color=maybe used to mean false; only a yes/no value is a flag's value.
      const v =
        typeof value === 'boolean'
          ? value
          : /^(true|yes|1|on)$/i.test(value)
            ? true
            : /^(false|no|0|off)$/i.test(value)
              ? false
              : undefined;
      if (v === undefined)
        throw new UsageError(
          `${flagText}: expected no value, or true/false, got ${JSON.stringify(value)}`,
          `write --${def.long} or --no-${def.long}`,
        );
      o[def.key] = v;
      return;
    }
    case 'string':
      o[def.key] = String(value);
      return;
    case 'number': {
      const n = Number(value);
      if (typeof value !== 'string' || value.trim() === '' || !Number.isFinite(n) || n < 0) {
        throw new UsageError(`${flagText} expects a non-negative number, got ${JSON.stringify(value)}`);
      }
      o[def.key] = n;
      return;
    }
    case 'list':
      (o[def.key] as string[]).push(
        ...String(value)
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean),
      );
      return;
    case 'repeat':
      (o[def.key] as string[]).push(String(value));
  }
}

const hasRoom = (c: { call: TaskCall; info: TaskInfo }): boolean =>
  c.call.positional.length < c.info.args.filter((a) => !(a.name in c.call.named)).length;

export function parseArgv(argv: readonly string[], ctx: ParseContext): Invocation {
  const options = defaultOptions();
  const inv: Invocation = { options, hostSets: [], tasks: [] };
  const dash = argv.indexOf('--');
  const words = dash === -1 ? argv : argv.slice(0, dash);
  if (dash !== -1) {
    const cmd = argv.slice(dash + 1).join(' ');
    if (cmd.trim() === '')
      throw new UsageError('nothing after "--"', 'write the shell command to run after --, e.g. fab -H web1 -- uptime');
    inv.command = cmd;
  }
  let current: { call: TaskCall; info: TaskInfo } | undefined;

  const needValue = (i: number, flag: string): string => {
    const v = words[i];
    if (v === undefined) throw new UsageError(`${flag} needs a value`, `see fab --help`);
    return v;
  };

  for (let i = 0; i < words.length; i++) {
    const tok = words[i]!;
    if (tok.startsWith('--') && tok.length > 2) {
      const eq = tok.indexOf('=');
      const name = eq === -1 ? tok.slice(2) : tok.slice(2, eq);
      const inline = eq === -1 ? undefined : tok.slice(eq + 1);
      // A task's own argument wins over a fab option of the same name.
      if (current) {
        const negated = name.startsWith('no-') ? camel(name.slice(3)) : undefined;
        const argName = camel(name);
        const a =
          current.info.args.find((x) => x.name === argName) ??
          current.info.args.find((x) => x.boolean && x.name === negated);
        if (a) {
          if (a.boolean) current.call.named[a.name] = inline ?? (a.name === negated ? false : true);
          else current.call.named[a.name] = inline ?? needValue(++i, tok);
          continue;
        }
      }
      const neg = name.startsWith('no-') ? byLong.get(name.slice(3)) : undefined;
      if (neg && neg.type === 'flag') {
        setOption(options, neg, false, tok);
        continue;
      }
      const def = byLong.get(name);
      if (!def) {
        const hint = current
          ? `${current.info.name} takes ${current.info.args.map((x) => `--${x.name}`).join(', ') || 'no arguments'}; `
          : '';
        throw new UsageError(
          `unknown option --${name}`,
          `${hint}${
            didYouMean(
              name,
              OPTIONS.map((o) => o.long),
            ) || 'see fab --help'
          }`,
        );
      }
      if (def.type === 'flag') setOption(options, def, inline ?? true, tok);
      else setOption(options, def, inline ?? needValue(++i, tok), tok);
      continue;
    }
    if (tok.startsWith('-') && tok.length > 1) {
      // Short options, possibly bundled: -Pw, -z10, -z 10.
      for (let j = 1; j < tok.length; j++) {
        const def = byShort.get(tok[j]!);
        if (!def) throw new UsageError(`unknown option -${tok[j]} in "${tok}"`, 'see fab --help');
        if (def.type === 'flag') {
          setOption(options, def, true, `-${tok[j]}`);
          continue;
        }
        const rest = tok.slice(j + 1);
        setOption(options, def, rest !== '' ? rest : needValue(++i, `-${tok[j]}`), `-${tok[j]}`);
        break;
      }
      continue;
    }
    // A word: host set (before any task), task, or a positional argument of the current task.
    if (!current && inv.tasks.length === 0 && ctx.isHostSet(tok)) {
      inv.hostSets.push(tok);
      continue;
    }
    const taskWord = tok.includes(':') ? parseTaskWord(tok) : undefined;
    const bareInfo = taskWord ? undefined : ctx.findTask(tok);
    const wantsPositional = current
      ? current.call.positional.length < current.info.args.filter((a) => a.required).length
      : false;
    if (taskWord || (bareInfo && !wantsPositional)) {
      const parsed = taskWord ?? parseTaskWord(tok);
      const info = ctx.findTask(parsed.name);
      if (!info) {
        if (current && hasRoom(current)) {
          current.call.positional.push(tok);
          continue;
        }
        throw new UsageError(
          `unknown task "${parsed.name}"`,
          didYouMean(parsed.name, ctx.names()) || 'run fab --list to see the tasks',
        );
      }
      const call: TaskCall = { name: info.name, positional: parsed.positional, named: { ...parsed.named } };
      if (parsed.hosts) call.hosts = parsed.hosts;
      if (parsed.roles) call.roles = parsed.roles;
      if (parsed.excludeHosts) call.excludeHosts = parsed.excludeHosts;
      inv.tasks.push(call);
      current = { call, info };
      continue;
    }
    if (current && hasRoom(current)) {
      current.call.positional.push(tok);
      continue;
    }
    if (current) {
      throw new UsageError(
        `unknown task "${tok}", or one argument too many for ${current.info.name}`,
        didYouMean(tok, ctx.names()) || `see fab -d ${current.info.name}`,
      );
    }
    throw new UsageError(
      `unknown task or host set "${tok}"`,
      didYouMean(tok, ctx.names()) || 'run fab --list to see tasks and host sets',
    );
  }
  return inv;
}
