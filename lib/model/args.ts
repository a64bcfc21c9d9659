/**
 * Typed task arguments. Each spec parses the string the command line gives it, so `flag=false`
 * is false (Fabric 1 passed every value as a string), and `fab -d TASK` can describe it.
 */

export type ArgKind = 'string' | 'number' | 'boolean' | 'choice' | 'list';
export type ArgValue = string | number | boolean | readonly string[];

export interface ArgSpec<T> {
  readonly kind: ArgKind;
  readonly description?: string;
  readonly choices?: readonly string[];
  /** Present when the arg may be left out; `undefined` as a default makes it optional without a value. */
  readonly hasDefault: boolean;
  readonly defaultValue?: T;
  /** Turns a raw value from the command line into T, or throws a message naming what is wrong. */
  parse(raw: string | boolean): T;
  optional(): ArgSpec<T | undefined>;
  default(value: T): ArgSpec<T>;
  describe(text: string): ArgSpec<T>;
}

interface ArgOptions<T> {
  description?: string;
  default?: T;
}

export class ArgParseError extends Error {}

function make<T>(
  kind: ArgKind,
  parse: (raw: string | boolean) => T,
  base: Partial<ArgSpec<T>> & { hasDefault: boolean },
): ArgSpec<T> {
  const spec: ArgSpec<T> = {
    kind,
    ...base,
    parse,
    optional: () => make<T | undefined>(kind, parse, { ...base, hasDefault: true, defaultValue: base.defaultValue }),
    default: (value: T) => make<T>(kind, parse, { ...base, hasDefault: true, defaultValue: value }),
    describe: (text: string) => make<T>(kind, parse, { ...base, description: text }),
  };
  return spec;
}

function base<T>(opts: ArgOptions<T> | undefined): { hasDefault: boolean; defaultValue?: T; description?: string } {
  return {
    hasDefault: opts !== undefined && 'default' in opts,
    ...(opts && 'default' in opts ? { defaultValue: opts.default } : {}),
    ...(opts?.description ? { description: opts.description } : {}),
  };
}

const TRUE = new Set(['true', 'yes', 'y', '1', 'on']);
const FALSE = new Set(['false', 'no', 'n', '0', 'off']);

export function parseBoolean(raw: string | boolean): boolean {
  if (typeof raw === 'boolean') return raw;
  const v = raw.trim().toLowerCase();
  if (TRUE.has(v)) return true;
  if (FALSE.has(v)) return false;
  throw new ArgParseError(`expected a boolean (true/false, yes/no, 1/0), got ${JSON.stringify(raw)}`);
}

export function parseNumber(raw: string | boolean): number {
  const s = String(raw).trim();
  const n = Number(s);
  if (typeof raw === 'boolean' || s === '' || !Number.isFinite(n)) {
    throw new ArgParseError(`expected a number, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function parseString(raw: string | boolean): string {
  if (typeof raw === 'boolean') throw new ArgParseError('expected a value, got a bare flag');
  return raw;
}

export const arg = {
  string: (opts?: ArgOptions<string>): ArgSpec<string> => make('string', parseString, base(opts)),
  number: (opts?: ArgOptions<number>): ArgSpec<number> => make('number', parseNumber, base(opts)),
  boolean: (opts?: ArgOptions<boolean>): ArgSpec<boolean> => make('boolean', parseBoolean, base(opts)),
  choice: <const C extends string>(choices: readonly C[], opts?: ArgOptions<C>): ArgSpec<C> =>
    make<C>(
      'choice',
      (raw) => {
        const s = parseString(raw);
        if (!(choices as readonly string[]).includes(s)) {
          throw new ArgParseError(`expected one of ${choices.join(', ')}, got ${JSON.stringify(raw)}`);
        }
        return s as C;
      },
      { ...base(opts), choices },
    ),
  /**
   * `a,b,c` (one command-line word) or `a;b;c` (inside `task:name=a;b`): a list of non-empty strings.
   * `check` returns what is wrong with the items (empty: fine), so bad input is a usage error before any host.
   */
  list: (
    opts?: ArgOptions<readonly string[]> & { check?: (items: readonly string[]) => readonly string[] },
  ): ArgSpec<readonly string[]> =>
    make(
      'list',
      (raw) => {
        const items = parseList(raw);
        const problems = opts?.check?.(items) ?? [];
        if (problems.length) throw new ArgParseError(problems.join('; '));
        return items;
      },
      base(opts),
    ),
};

export function parseList(raw: string | boolean): readonly string[] {
  const items = parseString(raw)
    .split(/[,;]/)
    .map((s) => s.trim());
  if (items.some((s) => s === ''))
    throw new ArgParseError(`expected a list like a,b,c (or a;b;c), got ${JSON.stringify(raw)}`);
  return items;
}

export type ArgSpecs = Record<string, ArgSpec<unknown>>;
export type ArgsOf<A extends ArgSpecs> = { [K in keyof A]: A[K] extends ArgSpec<infer T> ? T : never };

/** `--dry-run`, `dry_run` and `dryRun` all name the arg `dryRun`. */
export function camel(name: string): string {
  return name.replace(/[-_]+([a-zA-Z0-9])/g, (_, c: string) => c.toUpperCase());
}

export function kebab(name: string): string {
  return name.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

export function describeArg(name: string, spec: ArgSpec<unknown>): string {
  const type = spec.kind === 'choice' ? (spec.choices ?? []).join('|') : spec.kind === 'list' ? 'a,b,...' : spec.kind;
  const dflt = spec.hasDefault
    ? spec.defaultValue === undefined
      ? ' (optional)'
      : ` (default: ${JSON.stringify(spec.defaultValue)})`
    : ' (required)';
  return `--${kebab(name)} <${type}>${dflt}${spec.description ? `  ${spec.description}` : ''}`;
}
