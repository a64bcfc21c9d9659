import { isAbsolute, join } from 'node:path';
import { type ConfigLine, SshConfigSyntaxError, globFiles, parseConfigText } from './sshconfig-parse.js';
import { expandHome, expandTokens } from './ssh-tokens.js';

/** Options that add up over every matching block instead of first-wins. */
const ACCUMULATE = new Set(['identityfile', 'certificatefile']);
const MAX_DEPTH = 16;
const COMMANDS = new Set(['proxycommand', 'localcommand', 'remotecommand', 'knownhostscommand']);

export interface EvalEnv {
  /** The host as given (%n): Host blocks match it. */
  alias: string;
  localUser: string;
  /** A login user given outside the file (fab's -u, the host set): it wins over User and is what `Match user` sees. */
  user?: string;
  /** ~/.ssh: relative Include paths of user files start there. */
  sshDir: string;
  read(path: string): string | undefined;
  /** Match exec: true when the command exits 0. */
  exec(command: string): boolean;
}

/** Values by lower-case keyword: the first value set, or all of them for IdentityFile/CertificateFile. */
export type ConfigValues = Map<string, string[]>;

/**
 * `*` and `?` wildcards. ssh(1) compares `Host` patterns with the name as typed, case and all, but
 * `Match host`/`originalhost` lists without case (match_hostname), as measured against `ssh -G`.
 */
export function matchPattern(text: string, pattern: string, caseless = false): boolean {
  const re = pattern
    .replace(/[.+^${}()|[\]\\]/g, '\\$&')
    .replace(/\*/g, '.*')
    .replace(/\?/g, '.');
  return new RegExp(`^${re}$`, caseless ? 'is' : 's').test(text);
}

/** A pattern list (`a,b,!c`): no negated pattern may match and at least one plain one must. */
export function matchList(text: string, patterns: readonly string[], caseless = false): boolean {
  let hit = false;
  for (const p of patterns) {
    if (p.startsWith('!')) {
      if (matchPattern(text, p.slice(1), caseless)) return false;
    } else if (matchPattern(text, p, caseless)) hit = true;
  }
  return hit;
}

/**
 * Evaluates an ssh_config file for one host as ssh(1) does: Host and Match blocks in order, Include
 * (with globs, relative to ~/.ssh, inside blocks too), first value wins, `Match final` re-reads
 * everything once the rest is known.
 */
export function evaluateConfig(file: string, text: string, env: EvalEnv): ConfigValues {
  const first = new Evaluator(env, false);
  if (env.user) first.values.set('user', [env.user]);
  first.run(parseConfigText(text, file), 0);
  if (!first.wantFinal) return first.values;
  const final = new Evaluator(env, true, first.values);
  if (env.user) final.values.set('user', [env.user]);
  final.run(parseConfigText(text, file), 0);
  return final.values;
}

class Evaluator {
  readonly values: ConfigValues = new Map();
  wantFinal = false;

  constructor(
    private readonly env: EvalEnv,
    private readonly finalPass: boolean,
    private readonly previous?: ConfigValues,
  ) {}

  /** Runs a file's lines; returns nothing, fills `values`. `never`: an Include inside a block that did not match. */
  run(lines: ConfigLine[], depth: number, never = false): void {
    let active = !never;
    for (const l of lines) {
      if (l.keyword === 'host') active = !never && matchList(this.env.alias, l.args);
      else if (l.keyword === 'match') active = !never && this.match(l);
      else if (l.keyword === 'include') this.include(l, depth, !active);
      else if (active) this.set(l);
    }
  }

  private include(l: ConfigLine, depth: number, never: boolean): void {
    if (depth >= MAX_DEPTH)
      throw new SshConfigSyntaxError(l.file, l.line, `Include nested more than ${MAX_DEPTH} deep`);
    for (const arg of l.args) {
      const path = expandHome(arg);
      for (const f of globFiles(isAbsolute(path) ? path : join(this.env.sshDir, path))) {
        const text = this.env.read(f);
        if (text !== undefined) this.run(parseConfigText(text, f), depth + 1, never);
      }
    }
  }

  private set(l: ConfigLine): void {
    if (!l.args.length) throw new SshConfigSyntaxError(l.file, l.line, `${l.keyword}: missing argument`);
    if (ACCUMULATE.has(l.keyword)) {
      const list = this.values.get(l.keyword) ?? [];
      if (l.args[0]!.toLowerCase() !== 'none') list.push(l.args[0]!);
      this.values.set(l.keyword, list);
      return;
    }
    if (this.values.has(l.keyword)) return;
    // ProxyJump and ProxyCommand exclude each other, first set wins; `ProxyJump none` does not count
    // (OpenSSH 9.2, checked against ssh -G), `ProxyCommand none` does.
    if (l.keyword === 'proxyjump' && this.values.has('proxycommand')) return;
    if (l.keyword === 'proxycommand' && (this.values.get('proxyjump')?.[0] ?? 'none').toLowerCase() !== 'none') return;
    // A command is kept as written, quotes and all: ssh hands it to the shell.
    this.values.set(l.keyword, COMMANDS.has(l.keyword) ? [l.rest] : l.args);
  }

  private get(key: string): string | undefined {
    return this.values.get(key)?.[0] ?? this.previous?.get(key)?.[0];
  }

  /** The host Match criteria test: HostName so far (its %h expanded), else the alias. */
  private currentHost(): string {
    const hn = this.get('hostname');
    return hn ? hn.replace(/%h/g, this.env.alias) : this.env.alias;
  }

  private match(l: ConfigLine): boolean {
    const args = [...l.args];
    let result = true;
    if (!args.length) throw new SshConfigSyntaxError(l.file, l.line, 'Match: missing criteria');
    while (args.length) {
      let word = args.shift()!.toLowerCase();
      const negate = word.startsWith('!');
      if (negate) word = word.slice(1);
      let ok: boolean;
      if (word === 'all') ok = true;
      else if (word === 'final') ok = this.finalPass || !(this.wantFinal = true);
      else if (word === 'canonical') ok = false;
      else {
        const arg = args.shift();
        if (arg === undefined) throw new SshConfigSyntaxError(l.file, l.line, `Match ${word}: missing argument`);
        ok = this.criterion(word, arg, l);
      }
      if (ok === negate) result = false;
    }
    return result;
  }

  private criterion(word: string, arg: string, l: ConfigLine): boolean {
    const list = arg.split(',');
    const user = this.get('user') ?? this.env.localUser;
    switch (word) {
      case 'host':
        return matchList(this.currentHost(), list, true);
      case 'originalhost':
        return matchList(this.env.alias, list, true);
      case 'user':
        return matchList(user, list);
      case 'localuser':
        return matchList(this.env.localUser, list);
      case 'exec': {
        const port = Number(this.get('port') ?? 22);
        const cmd = expandTokens(arg, { host: this.currentHost(), alias: this.env.alias, port, user }, 'Match exec');
        return this.env.exec(cmd);
      }
      default:
        throw new SshConfigSyntaxError(
          l.file,
          l.line,
          `Match ${word}: not supported by fab (all, canonical, final, exec, host, originalhost, user, localuser are)`,
        );
    }
  }
}
