import { validateHostSet } from '../model/validate.js';
import { FabfileError, UsageError, errorMessage } from '../errors.js';
import { selectHosts } from '../exec/select.js';
import { arg } from '../model/args.js';
import { targetsOf, type HostTarget } from '../model/hostset.js';
import { requireTask, type Registry } from '../registry/load.js';
import { bindArgs, task, type Task } from '../task/task.js';
import type { ArgValue } from '../model/args.js';
import type { Invocation } from './argv.js';
import { ADHOC_TASK } from '../report/events.js';
import type { Plan, PlannedTask } from '../exec/run-plan.js';

export type { Plan, PlannedTask };

/** `fab -H a,b -- uptime`: an ad-hoc task that runs the remainder as typed. */
export const adhoc = task(
  { description: 'ad-hoc command', args: { command: arg.string() } },
  async (ctx, { command }) => {
    // Nobody reads its result: stdout is shown, not kept (1 GB of output runs in bounded memory).
    await ctx.run(command, { discardStdout: true });
  },
);
adhoc.name = adhoc.shortName = ADHOC_TASK;

/** `fab -H web1 --shell`: Fabric's open_shell on the one selected host. */
export const shellTask = task({ description: 'interactive shell' }, async (ctx) => {
  await ctx.openShell();
});
shellTask.name = shellTask.shortName = 'shell';

/** Resolve host sets, arguments and hosts of every task before anything runs: bad input touches no host. */
export async function makePlan(reg: Registry, inv: Invocation): Promise<Plan> {
  const pool: HostTarget[] = [];
  for (const name of inv.hostSets) {
    const hs = reg.hostSets.get(name)!;
    let def;
    try {
      def = await hs.resolve();
    } catch (err) {
      if (err instanceof UsageError) throw err;
      throw new FabfileError(hs.file ?? name, `host set ${name}: ${errorMessage(err)}`);
    }
    validateHostSet(hs.file ?? name, name, def);
    for (const t of targetsOf(name, def)) if (!pool.some((p) => p.name === t.name)) pool.push(t);
  }
  const haveSet = inv.hostSets.length > 0;
  const global = { hosts: inv.options.hosts, roles: inv.options.roles, exclude: inv.options.excludeHosts };
  const steps: PlannedTask[] = inv.tasks.map((call) => {
    const t = requireTask(reg, call.name);
    const args = bindArgs(t, { positional: call.positional, named: call.named });
    const hosts = selectHosts({
      pool,
      haveSet,
      global,
      taskName: t.name!,
      declared: { ...(t.spec.roles ? { roles: t.spec.roles } : {}), ...(t.spec.hosts ? { hosts: t.spec.hosts } : {}) },
      perTask: {
        ...(call.hosts ? { hosts: call.hosts } : {}),
        ...(call.roles ? { roles: call.roles } : {}),
        ...(call.excludeHosts ? { excludeHosts: call.excludeHosts } : {}),
      },
    });
    return { task: t, args, hosts };
  });
  if (inv.command !== undefined) {
    const hosts = selectHosts({ pool, haveSet, global });
    if (!hosts.length)
      throw new UsageError(`no hosts to run "${inv.command}" on`, 'name a host set or pass -H HOST[,HOST]');
    steps.push({ task: adhoc, args: { command: inv.command }, hosts });
  }
  if (inv.options.shell) {
    if (steps.length)
      throw new UsageError(
        '--shell opens a shell and runs nothing else',
        'leave out the tasks and the -- command, or leave out --shell',
      );
    const hosts = selectHosts({ pool, haveSet, global });
    if (hosts.length !== 1) {
      throw new UsageError(
        `--shell needs exactly one host, ${hosts.length} selected${hosts.length ? ` (${hosts.map((h) => h.name).join(', ')})` : ''}`,
        'pick one with -H, e.g. fab -H web1 --shell',
      );
    }
    steps.push({ task: shellTask, args: {}, hosts });
  }
  return { steps, pool, haveSet };
}
