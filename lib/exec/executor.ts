import pLimit from 'p-limit';
import { ConnectError, GroupError, InterruptedError, UsageError, errorMessage } from '../errors.js';
import { camel, type ArgValue } from '../model/args.js';
import type { HostTarget } from '../model/hostset.js';
import type { Task } from '../task/task.js';
import { ONCE_HOST, type ErrorInfo, type HostStatus } from '../report/events.js';
import { als } from '../run/als.js';
import { TaskContext, type ExecuteTarget, type HostRuntime } from '../task/context.js';
import type { RunConfig } from '../run/runner.js';
import { ROOT_SCOPE } from '../run/scope.js';
import { Settings } from '../model/settings.js';
import type { Connections } from './connections.js';
import { selectHosts } from './select.js';

export interface HostOutcome {
  host: string;
  task: string;
  status: HostStatus;
  value?: unknown;
  error?: Error;
  ms: number;
}

export interface ExecutorOptions {
  cfg: RunConfig;
  connections: Connections;
  parallel: boolean;
  poolSize?: number;
  skipBadHosts: boolean;
  /** From --set, applied over every host's settings. */
  settingsOverrides: Record<string, string>;
  /** Every host of the selected host sets, for execute() by name or role. */
  pool: readonly HostTarget[];
  haveSet: boolean;
}

/** Stands in for "no host" in tasks that run once without any host selected. */
export const NO_HOST: HostTarget = {
  name: 'local',
  address: 'localhost',
  keys: [],
  transport: 'local',
  roles: [],
  settings: {},
};

export function errorInfo(err: Error): ErrorInfo {
  const code = (err as { code?: unknown }).code;
  const kind = err instanceof ConnectError ? { kind: err.kind } : {};
  return {
    name: err.name,
    message: err.message,
    ...(typeof code === 'number' || code === null ? { code } : {}),
    ...kind,
  };
}

/** Runs a task over hosts: serially (stopping at the first failure, as Fabric does) or in a p-limit pool. */
export class Executor {
  constructor(private readonly opts: ExecutorOptions) {}

  async runTask(
    t: Task,
    hosts: readonly HostTarget[],
    args: Record<string, ArgValue | undefined>,
  ): Promise<HostOutcome[]> {
    const name = t.name ?? 'task';
    if (t.spec.runsOnce || hosts.length === 0) return [await this.runOn(t, hosts[0] ?? NO_HOST, hosts, args, true)];
    const parallel = this.opts.parallel || t.spec.parallel === true;
    if (!parallel) {
      const out: HostOutcome[] = [];
      for (const h of hosts) {
        if (this.stopped(out))
          out.push({
            host: h.name,
            task: name,
            status: this.opts.cfg.signal.aborted ? 'interrupted' : 'not run',
            ms: 0,
          });
        else out.push(await this.runOn(t, h, hosts, args));
      }
      return out;
    }
    const limit = pLimit(Math.max(1, this.opts.poolSize ?? t.spec.poolSize ?? hosts.length));
    return Promise.all(
      hosts.map((h) =>
        limit(() =>
          this.opts.cfg.signal.aborted
            ? { host: h.name, task: name, status: 'interrupted' as const, ms: 0 }
            : this.runOn(t, h, hosts, args),
        ),
      ),
    );
  }

  private stopped(out: HostOutcome[]): boolean {
    return this.opts.cfg.signal.aborted || out.some((o) => o.status === 'failed' || o.status === 'interrupted');
  }

  private async runOn(
    t: Task,
    host: HostTarget,
    hosts: readonly HostTarget[],
    args: Record<string, ArgValue | undefined>,
    once = false,
  ): Promise<HostOutcome> {
    const task = t.name ?? 'task';
    const { cfg } = this.opts;
    // A task that runs once speaks for the whole run, not for the first host.
    const label = once ? undefined : host.name;
    const who = once ? ONCE_HOST : host.name;
    const started = Date.now();
    const rt = this.runtimeFor(host, hosts, task);
    cfg.events.emit({ type: 'task.start', task, ...(label ? { host: label } : {}) });
    try {
      const ctx = new TaskContext(rt);
      const value = await als.run({ ctx, scope: ROOT_SCOPE }, () => t.fn(ctx, args as never));
      cfg.events.emit({
        type: 'task.end',
        task,
        ...(label ? { host: label } : {}),
        ok: true,
        ms: Date.now() - started,
      });
      return { host: who, task, status: 'ok', value, ms: Date.now() - started };
    } catch (e) {
      const err = e instanceof Error ? e : new Error(errorMessage(e));
      const status: HostStatus =
        cfg.signal.aborted || err instanceof InterruptedError
          ? 'interrupted'
          : err instanceof ConnectError && err.kind !== 'host-key' && this.opts.skipBadHosts
            ? 'unreachable'
            : 'failed';
      cfg.events.emit({
        type: 'task.end',
        task,
        ...(label ? { host: label } : {}),
        ok: false,
        ms: Date.now() - started,
        error: errorInfo(err),
      });
      return { host: who, task, status, error: err, ms: Date.now() - started };
    }
  }

  /** Everything a TaskContext needs for one host; `contextFor` lets a task act on other hosts (rolling). */
  runtimeFor(host: HostTarget, hosts: readonly HostTarget[], task: string): HostRuntime {
    const { cfg, connections } = this.opts;
    return {
      host,
      hosts: [...hosts],
      settings: new Settings({ ...host.settings, ...this.opts.settingsOverrides }, host.name),
      task,
      cfg,
      connect: () => {
        if (host === NO_HOST)
          return Promise.reject(new UsageError(`task ${task} has no host to run on`, 'name a host set, or pass -H/-R'));
        return connections.get(host);
      },
      reopen: () => connections.reopen(host),
      localTransport: () => connections.local(),
      execute: (sub, target, subArgs) => this.execute(sub, target, subArgs),
      contextFor: (other) => new TaskContext(this.runtimeFor(other, hosts, task)),
      resolveTarget: (target) => this.resolveTarget(target, task),
    };
  }

  /** `execute(task, hosts, args)` from inside a task: one value per host, a GroupError if any failed. */
  async execute(
    t: Task,
    target: ExecuteTarget,
    args: Record<string, ArgValue | undefined>,
  ): Promise<Map<string, unknown>> {
    const hosts = this.resolveTarget(target, t.name);
    const outcomes = await this.runTask(t, hosts, completeArgs(t, args));
    const failures = new Map(
      outcomes.filter((o) => o.status !== 'ok').map((o) => [o.host, o.error ?? new Error(o.status)]),
    );
    if (failures.size) throw new GroupError(failures);
    return new Map(outcomes.map((o) => [o.host, o.value]));
  }

  resolveTarget(target: ExecuteTarget, taskName?: string): HostTarget[] {
    if (Array.isArray(target) && target.length && typeof target[0] === 'object') return [...(target as HostTarget[])];
    const base = {
      pool: this.opts.pool,
      haveSet: this.opts.haveSet,
      global: { hosts: [], roles: [], exclude: [] },
      ...(taskName ? { taskName } : {}),
    };
    if (typeof target === 'object' && !Array.isArray(target) && 'role' in target)
      return selectHosts({ ...base, perTask: { roles: [target.role] } });
    const names = typeof target === 'string' ? [target] : (target as string[]);
    return selectHosts({ ...base, perTask: { hosts: names } });
  }
}

/** Args given in code (execute, rolling): fill defaults, refuse unknown or missing ones. */
export function completeArgs(
  t: Task,
  given: Record<string, ArgValue | undefined>,
): Record<string, ArgValue | undefined> {
  const specs = t.spec.args ?? {};
  const out: Record<string, ArgValue | undefined> = {};
  for (const key of Object.keys(given)) {
    if (!(camel(key) in specs))
      throw new UsageError(
        `${t.name}: unknown argument ${key}`,
        `it takes ${Object.keys(specs).join(', ') || 'no arguments'}`,
      );
  }
  for (const [name, spec] of Object.entries(specs)) {
    const v = given[name];
    if (v !== undefined) out[name] = v;
    else if (spec.hasDefault) out[name] = spec.defaultValue as ArgValue | undefined;
    else throw new UsageError(`${t.name}: missing argument ${name}`);
  }
  return out;
}
