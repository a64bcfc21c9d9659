import { EventBus, type FabEvent } from '../report/events.js';
import { completeArgs, type HostOutcome } from '../exec/executor.js';
import { runPlan } from '../exec/run-plan.js';
import type { ArgValue } from '../model/args.js';
import type { HostTarget } from '../model/hostset.js';
import type { SettingValue } from '../model/settings.js';
import { Interrupts } from '../run/interrupt.js';
import { Prompts } from '../run/prompts.js';
import type { Task } from '../task/context.js';
import { ScriptedTransport } from './scripted.js';

/** A scripted host: its transport, and optionally the roles and settings a host set would give it. */
export type HostScript =
  | ScriptedTransport
  | { transport: ScriptedTransport; roles?: string[]; settings?: Record<string, SettingValue>; address?: string };

export interface RunTaskOptions {
  /** The hosts the task runs on, in order, each answered by its own scripted transport. */
  hosts: Record<string, HostScript>;
  args?: Record<string, ArgValue | undefined>;
  /** As `--set key=value`: over every host's settings. */
  set?: Record<string, string>;
  dryRun?: boolean;
  parallel?: boolean;
  warnOnly?: boolean;
  /** Answers for prompt({ key }) (as --set), and --yes for confirmations. */
  answers?: Record<string, string>;
  yes?: boolean;
  /** Answers `local()` commands; a fresh scripted transport (that answers nothing) when absent. */
  local?: ScriptedTransport;
  /** For rolling(): where `.fab/runs/` (the journal) goes, and `fab resume <id>`'s id. */
  rolling?: { root: string; resume?: string; breakLock?: boolean };
}

export interface TaskRun {
  /** What `fab` would exit with: 0 ok, 1 failed, 2 bad input, 130 interrupted. */
  exitCode: number;
  events: FabEvent[];
  outcomes: HostOutcome[];
  /** The task's return value on a host. */
  value(host: string): unknown;
  /** The error a host failed with (undefined when it did not fail). */
  error(host: string): Error | undefined;
  /** The output lines a host showed, as `stdout: line` / `stderr: line`. */
  output(host: string): string[];
}

/**
 * Run a fabfile task as `fab` would (executor, runner, sudo wrapper, scopes, events), on scripted hosts
 * instead of SSH: no network, no root. See ScriptedTransport for how commands are answered.
 */
export async function runTask(t: Task, o: RunTaskOptions): Promise<TaskRun> {
  t.name ??= 'task';
  const scripts = new Map(
    Object.entries(o.hosts).map(([name, h]) => [name, h instanceof ScriptedTransport ? { transport: h } : h]),
  );
  const hosts: HostTarget[] = [...scripts].map(([name, h]) => ({
    name,
    address: h.address ?? name,
    keys: [],
    transport: 'ssh',
    roles: h.roles ?? [],
    settings: h.settings ?? {},
  }));
  const events: FabEvent[] = [];
  const bus = new EventBus();
  bus.subscribe((e) => events.push(e));
  const local = o.local ?? new ScriptedTransport('local');
  const res = await runPlan(
    { steps: [{ task: t, args: completeArgs(t, o.args ?? {}), hosts }], pool: hosts, haveSet: true },
    {
      events: bus,
      cfg: {
        warnOnly: o.warnOnly ?? false,
        dryRun: o.dryRun ?? false,
        prompts: new Prompts({ yes: o.yes ?? false, answers: o.answers ?? {}, secret: (v) => bus.addSecret(v) }),
        ...(o.rolling
          ? { run: { argv: ['(runTask)'], breakLock: false, ...o.rolling, interrupts: new Interrupts() } }
          : {}),
      },
      // Never used: every host's transport comes from the script.
      ssh: { identity: [], acceptNew: false, attempts: 1, keepaliveMs: 0 },
      parallel: o.parallel ?? false,
      skipBadHosts: false,
      settingsOverrides: o.set ?? {},
      signal: new AbortController().signal,
      factory: async (target) => scripts.get(target.name)!.transport,
      localFactory: async () => local,
    },
  );
  const of = (host: string) => res.outcomes.find((r) => r.host === host);
  return {
    exitCode: res.exitCode,
    events,
    outcomes: res.outcomes,
    value: (host) => of(host)?.value,
    error: (host) => of(host)?.error,
    output: (host) => events.flatMap((e) => (e.type === 'output' && e.host === host ? [`${e.stream}: ${e.line}`] : [])),
  };
}
