import { ArgParseError, camel, kebab, type ArgSpecs, type ArgValue } from '../model/args.js';
import { UsageError } from '../errors.js';
import { TASK, type Task, type TaskFn, type TaskSpec } from './context.js';

export type { Task, TaskFn, TaskSpec };

export function task<A extends ArgSpecs = Record<never, never>>(spec: TaskSpec<A>, fn: TaskFn<A>): Task<A> {
  return { [TASK]: true, spec, fn };
}

export function isTask(value: unknown): value is Task {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[TASK] === true;
}

/** Raw arguments for one task as the command line gave them. */
export interface RawTaskArgs {
  positional: string[];
  named: Record<string, string | boolean>;
}

/**
 * Turn raw strings into the task's typed args: positional in declaration order, then named,
 * then defaults. Every problem names the task, the argument and the fix.
 */
export function bindArgs(t: Task, raw: RawTaskArgs): Record<string, ArgValue | undefined> {
  const specs = t.spec.args ?? {};
  const names = Object.keys(specs);
  const out: Record<string, ArgValue | undefined> = {};
  const taskName = t.name ?? t.shortName ?? 'task';
  const usage = `see \`fab -d ${taskName}\``;

  if (raw.positional.length > names.length) {
    const extra = raw.positional
      .slice(names.length)
      .map((v) => JSON.stringify(v))
      .join(' ');
    throw new UsageError(`${taskName}: too many arguments (${extra}); it takes ${names.length}`, usage);
  }
  const given = new Map<string, string | boolean>();
  raw.positional.forEach((value, i) => given.set(names[i]!, value));
  for (const [key, value] of Object.entries(raw.named)) {
    const name = camel(key);
    if (!(name in specs)) {
      throw new UsageError(
        `${taskName}: unknown argument --${kebab(name)}`,
        names.length ? `it takes ${names.map((n) => `--${kebab(n)}`).join(', ')}` : 'it takes no arguments',
      );
    }
    if (given.has(name)) throw new UsageError(`${taskName}: argument --${kebab(name)} given twice`, usage);
    given.set(name, value);
  }
  for (const name of names) {
    const spec = specs[name]!;
    if (given.has(name)) {
      try {
        out[name] = spec.parse(given.get(name)!) as ArgValue;
      } catch (err) {
        if (err instanceof ArgParseError)
          throw new UsageError(`${taskName}: argument --${kebab(name)}: ${err.message}`, usage);
        throw err;
      }
    } else if (spec.hasDefault) {
      out[name] = spec.defaultValue as ArgValue | undefined;
    } else {
      throw new UsageError(
        `${taskName}: missing argument --${kebab(name)} (${spec.kind})`,
        `fab ${taskName} <${name}> or ${taskName}:${name}=VALUE; ${usage}`,
      );
    }
  }
  return out;
}
