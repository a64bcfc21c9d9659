import type { HostTarget } from '../model/hostset.js';
import type { ArgValue } from '../model/args.js';
import { als } from '../run/als.js';
import { HostContext, runtimeOf, type CoreRuntime } from '../run/host-context.js';
import { Prompts, type ConfirmOptions, type PromptOptions } from '../run/prompts.js';
import type { RunConfig } from '../run/runner.js';
import { ROOT_SCOPE } from '../run/scope.js';
import { shellFor, type BoundShell } from '../run/zx.js';
import type { GetOptions } from '../run/host.js';
import { checkGetTemplate } from '../run/get-file.js';
import { FILE_HELPERS, type FileHelpers } from './file-helpers.js';
import type { ArgSpecs, ArgsOf } from '../model/args.js';

export interface TaskSpec<A extends ArgSpecs> {
  /** One line shown by `fab --list`; the rest by `fab -d`. */
  description?: string;
  /** Roles of the host set this task runs on, unless the command line says otherwise. */
  roles?: readonly string[];
  /** Host names this task runs on, unless the command line says otherwise. */
  hosts?: readonly string[];
  args?: A;
  /** Run on all hosts at once (as with -P). */
  parallel?: boolean;
  poolSize?: number;
  /** Run one time, with every selected host in ctx.hosts and the first as the current host. */
  runsOnce?: boolean;
  /** Asked once before the task runs anywhere ({hosts}, {task} are filled in); --yes answers yes. */
  confirm?: string;
}

export type TaskFn<A extends ArgSpecs> = (ctx: TaskContext, args: ArgsOf<A>) => unknown;

/** Marks task objects (registry loading finds them among a fabfile's exports). */
export const TASK = Symbol.for('fabts.task');

export interface Task<A extends ArgSpecs = ArgSpecs> {
  readonly [TASK]: true;
  readonly spec: TaskSpec<A>;
  // Method syntax on purpose: it lets a registry hold tasks with different argument types.
  fn(ctx: TaskContext, args: ArgsOf<A>): unknown;
  /** Set when the fabfile is loaded: `<file>.<export>`, and the export name alone. */
  name?: string;
  shortName?: string;
  file?: string;
}

/** What the executor gives a task context: one host's runtime plus the rest of the run. */
export interface HostRuntime extends CoreRuntime {
  hosts: HostTarget[];
  execute(task: Task, target: ExecuteTarget, args: Record<string, ArgValue | undefined>): Promise<Map<string, unknown>>;
  contextFor(host: HostTarget): TaskContext;
  resolveTarget(target: ExecuteTarget): HostTarget[];
}

/** Hosts for `execute`: host names, a role (`{ role: 'web' }`), or host targets. */
export type ExecuteTarget = string | readonly string[] | { role: string } | readonly HostTarget[];

export type { SudoRunOptions } from '../run/host.js';

/**
 * The object passed to every task: one host's commands (HostContext), plus the run around it (other
 * hosts, execute, prompts) and Fabric's file helpers. The same operations are free functions in the DSL
 * (run, sudo, sed, ...), bound to the current host through AsyncLocalStorage.
 */
export class TaskContext extends HostContext {
  readonly #rt: HostRuntime;

  constructor(rt: HostRuntime) {
    super(rt);
    this.#rt = rt;
  }

  get hosts(): readonly HostTarget[] {
    return this.#rt.hosts;
  }

  /** Run another task on other hosts from inside this one; returns each host's return value. */
  execute<A extends Record<string, ArgValue | undefined>>(
    t: Task,
    target: ExecuteTarget,
    args: A = {} as A,
  ): Promise<Map<string, unknown>> {
    return this.#rt.execute(t, target, args);
  }

  /**
   * Run fn with a context for another host (pooled connection, same run):
   * `await ctx.on(web1, (w) => w.run('uptime'))`.
   */
  on<T>(host: HostTarget, fn: (ctx: TaskContext) => T): T {
    const other = this.#rt.contextFor(host);
    return als.run({ ctx: other, scope: ROOT_SCOPE }, () => fn(other));
  }

  /** Hosts by name, glob, role (`{ role: 'web' }`) or as targets, from the run's host sets. */
  resolveHosts(target: ExecuteTarget): HostTarget[] {
    return this.#rt.resolveTarget(target);
  }

  /**
   * As HostContext.get, but refuses a local path without `{host}` when several hosts run (they would overwrite
   * each other).
   */
  override get(
    remotePath: string,
    localPath?: string,
    opts: GetOptions = {},
  ): Promise<{ local: string; bytes: number }> {
    checkGetTemplate(localPath, this.#rt.hosts.length);
    return super.get(remotePath, localPath, opts);
  }

  /** Ask the operator once per run (or per host with `perHost`); see run/prompts.ts. */
  prompt(question: string, opts: PromptOptions = {}): Promise<string> {
    return this.prompts().prompt(question, opts, this.host.name);
  }
  confirm(question: string, opts: ConfirmOptions = {}): Promise<boolean> {
    return this.prompts().confirm(question, opts, this.host.name);
  }
  private prompts(): Prompts {
    return (this.#rt.cfg.prompts ??= new Prompts({ yes: false, answers: {} }));
  }

  /** zx's `$` for local commands, bound to this host: `await ctx.$\`git rev-parse HEAD\`` (see run/zx.ts). */
  get $(): BoundShell {
    return shellFor(this);
  }
}

// Fabric's contrib.files as methods, from the one table in file-helpers.ts.
export interface TaskContext extends FileHelpers {}
for (const [name, fn] of Object.entries(FILE_HELPERS)) {
  Object.defineProperty(TaskContext.prototype, name, {
    value(this: TaskContext, ...a: unknown[]) {
      return (fn as (ctx: TaskContext, ...rest: unknown[]) => unknown)(this, ...a);
    },
  });
}

/** The run's config of a context, for lib/ orchestration (rolling runs): never exported to fabfiles. */
export const runConfigOf = (ctx: HostContext): RunConfig => runtimeOf(ctx).cfg;
