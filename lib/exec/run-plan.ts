import { randomBytes } from 'node:crypto';
import { ConnectError, InterruptedError, UsageError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { Task } from '../task/task.js';
import type { ArgValue } from '../model/args.js';
import type { EventBus, HostSummary } from '../report/events.js';
import type { RunConfig } from '../run/runner.js';
import type { SshOptions } from '../transport/endpoint.js';
import type { Transport } from '../transport/types.js';
import type { OpenSshOptions } from '../transport/openssh-connect.js';
import type { AgentOptions } from '../transport/agent/start.js';
import { Connections, type TransportFactory } from './connections.js';
import { Executor, type HostOutcome } from './executor.js';
import { shardOf, type Shard } from './shard.js';

export interface PlannedTask {
  task: Task;
  args: Record<string, ArgValue | undefined>;
  hosts: HostTarget[];
}

export interface Plan {
  steps: PlannedTask[];
  /** Every host of the named host sets (for execute(), jump hosts and roles). */
  pool: HostTarget[];
  haveSet: boolean;
}

export interface RunPlanOptions {
  events: EventBus;
  cfg: Omit<RunConfig, 'events' | 'marks' | 'signal'>;
  ssh: SshOptions;
  sshConfigPath?: string;
  /** The system's OpenSSH client instead of ssh2 (--ssh-client openssh, --persist). */
  openssh?: OpenSshOptions;
  /** --persist over ssh2: connections kept by the per-user fab agent. */
  agent?: AgentOptions;
  parallel: boolean;
  /** --shard K/N: this runner's slice of each task's hosts. */
  shard?: Shard;
  poolSize?: number;
  skipBadHosts: boolean;
  settingsOverrides: Record<string, string>;
  signal: AbortSignal;
  /** Transports other than SSH (fabts/testing). */
  factory?: TransportFactory;
  localFactory?: () => Promise<Transport>;
}

export interface RunOutcome {
  exitCode: number;
  hosts: HostSummary[];
  outcomes: HostOutcome[];
}

/** Tasks run in order; a task that fails anywhere stops the ones after it (as in Fabric). */
export async function runPlan(plan: Plan, o: RunPlanOptions): Promise<RunOutcome> {
  const started = Date.now();
  const nonce = randomBytes(6).toString('hex');
  const cfg: RunConfig = {
    ...o.cfg,
    events: o.events,
    signal: o.signal,
    marks: { prompt: `[fab-sudo-${nonce}] password: `, start: `fab-start-${nonce}` },
  };
  const byName = new Map(plan.pool.map((t) => [t.name, t]));
  const connections = new Connections({
    ssh: o.ssh,
    ...(o.sshConfigPath ? { sshConfigPath: o.sshConfigPath } : {}),
    events: o.events,
    lookup: (n) => byName.get(n),
    signal: o.signal,
    ...(o.factory ? { factory: o.factory } : {}),
    ...(o.localFactory ? { localFactory: o.localFactory } : {}),
    ...(o.openssh ? { openssh: o.openssh } : {}),
    ...(o.agent ? { agent: o.agent } : {}),
  });
  const executor = new Executor({
    cfg,
    connections,
    parallel: o.parallel,
    ...(o.poolSize ? { poolSize: o.poolSize } : {}),
    skipBadHosts: o.skipBadHosts,
    settingsOverrides: o.settingsOverrides,
    pool: plan.pool,
    haveSet: plan.haveSet,
  });
  const hostNames = [...new Set(plan.steps.flatMap((s) => s.hosts.map((h) => h.name)))];
  o.events.emit({
    type: 'run.start',
    runId: nonce,
    tasks: plan.steps.map((s) => s.task.name!),
    hosts: hostNames,
    parallel: o.parallel,
    dryRun: cfg.dryRun,
  });

  const outcomes: HostOutcome[] = [];
  try {
    for (const step of plan.steps) {
      if (o.signal.aborted) break;
      // A task that runs once (rollingDeploy) runs once per shard, with the shard's hosts as ctx.hosts.
      // Hosts a task looks up itself (the load balancers, by role) are not sharded: every shard needs them all.
      const hosts = o.shard ? shardOf(step.hosts, o.shard) : step.hosts;
      if (step.hosts.length && !hosts.length) {
        o.events.emit({
          type: 'message',
          host: '-',
          level: 'info',
          text: `shard ${o.shard!.k}/${o.shard!.n}: none of the ${step.hosts.length} hosts of ${step.task.name} fall in this shard`,
        });
        continue;
      }
      const res = await executor.runTask(step.task, hosts, step.args);
      outcomes.push(...res);
      if (res.some((r) => r.status === 'failed' || r.status === 'interrupted')) break;
    }
  } finally {
    await connections.closeAll();
  }
  const hosts = summarize(outcomes);
  const exitCode = exitCodeOf(outcomes, o.signal.aborted);
  o.events.emit({ type: 'run.end', ok: exitCode === 0, exitCode, ms: Date.now() - started, hosts });
  return { exitCode, hosts, outcomes };
}

/** One line per host: its first failure (with the task), else ok. */
function summarize(outcomes: HostOutcome[]): HostSummary[] {
  const out = new Map<string, HostSummary>();
  for (const o of outcomes) {
    const prev = out.get(o.host);
    if (prev && prev.status !== 'ok') continue;
    const reason = o.error && !(o.error instanceof InterruptedError) ? { reason: o.error.message } : {};
    const kind = o.error instanceof ConnectError ? { kind: o.error.kind } : {};
    out.set(o.host, { host: o.host, status: o.status, task: o.task, ...reason, ...kind });
  }
  return [...out.values()];
}

function exitCodeOf(outcomes: HostOutcome[], aborted: boolean): number {
  if (aborted || outcomes.some((o) => o.status === 'interrupted')) return 130;
  const failed = outcomes.filter((o) => o.status === 'failed');
  if (failed.length && failed.every((o) => o.error instanceof UsageError)) return 2;
  return failed.length ? 1 : 0;
}
