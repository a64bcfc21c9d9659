import { randomBytes } from 'node:crypto';
import { userInfo } from 'node:os';
import { FabError, InterruptedError, UsageError, errorMessage } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { RollingHostReport, RollingState } from '../report/events.js';
import { runConfigOf, type ExecuteTarget, type TaskContext } from '../task/context.js';
import { toMs } from '../run/result.js';
import { waitFor, type Gate } from '../health/gates.js';
import { Journal, summarizeRun, runsDir } from './journal.js';
import { acquireLocks } from './lock.js';
import { failureBudget, overBudget, planBatches, type Size } from './plan.js';

export interface RollingOptions {
  /** Batch sizes: a number, a percentage, or a list whose first entry is the canary (see plan.ts). */
  batch?: Size | readonly Size[];
  /** Hosts that may fail over the whole run before it halts (number or percentage). Default 0. */
  maxFailures?: Size;
  /** Take the host out of service; gets the host and the orchestrating context. */
  drain?: (host: HostTarget, ctx: TaskContext) => Promise<unknown>;
  /** The deploy itself, with a context bound to the host. May return a release label. */
  action: (ctx: TaskContext) => Promise<unknown>;
  gates?: readonly Gate[];
  undrain?: (host: HostTarget, ctx: TaskContext) => Promise<unknown>;
  /** 'rollback': run `rollback` on a failed host and check its gates again, then halt. */
  onFailure?: 'halt' | 'rollback';
  rollback?: (ctx: TaskContext) => Promise<unknown>;
  /** Between batches. */
  pause?: number | string;
  /** Deploy lock directory on every host; false for none. */
  lock?: string | false;
  /** Label for the report (e.g. the version). */
  release?: string;
}

export interface RollingReport {
  id: string;
  outcome: 'complete' | 'halted' | 'interrupted';
  hosts: RollingHostReport[];
}

export class RollingError extends FabError {
  override name = 'RollingError';
  constructor(
    message: string,
    readonly report: RollingReport,
  ) {
    super(message);
  }
}

/**
 * Drain -> action -> gates -> undrain, host by host in batches. A host that fails is never undrained;
 * hosts not reached are left untouched; the run halts once failures exceed maxFailures. Each step is
 * journalled in .fab/runs/<id>.ndjson, so `fab resume <id>` skips the hosts already done.
 */
export async function rolling(ctx: TaskContext, target: ExecuteTarget, opts: RollingOptions): Promise<RollingReport> {
  const run = runConfigOf(ctx).run;
  if (!run) throw new UsageError('rolling() needs to run inside fab (it keeps a journal of the run)');
  const hosts =
    Array.isArray(target) && typeof target[0] === 'object' ? [...(target as HostTarget[])] : ctx.resolveHosts(target);
  if (!hosts.length) throw new UsageError('rolling: no hosts to roll');
  const events = ctx.events;
  const id =
    run.resume ??
    `${new Date().toISOString().replace(/[-:]/g, '').replace(/\..*/, '')}-${randomBytes(3).toString('hex')}`;
  // A dry run changes nothing here either: no journal to list or resume (a resumed one is only read).
  const dry = ctx.dryRun;
  const journal = Journal.create(run.root, id);
  const append: Journal['append'] = dry ? () => undefined : (rec) => journal.append(rec);
  const done = new Set<string>();
  if (run.resume) {
    for (const [h, rec] of summarizeRun(journal.file).hosts) if (rec.state === 'done') done.add(h);
  }
  const todo = hosts.filter((h) => !done.has(h.name));
  const batches = planBatches(todo, opts.batch ?? 1);
  const budget = failureBudget(opts.maxFailures ?? 0, hosts.length);
  const state = new Map<string, RollingHostReport>(
    hosts.map((h) => [
      h.name,
      done.has(h.name)
        ? { host: h.name, state: 'done', drained: false, detail: 'done in an earlier attempt' }
        : { host: h.name, state: 'untouched', drained: false },
    ]),
  );

  append({
    kind: 'start',
    id,
    time: new Date().toISOString(),
    user: userInfo().username,
    task: ctx.task,
    argv: run.argv,
    hosts: hosts.map((h) => h.name),
    batches: batches.map((b) => b.map((h) => h.name)),
    cwd: process.cwd(),
  });
  events.emit({
    type: 'rolling.start',
    id,
    batches: batches.map((b) => b.map((h) => h.name)),
    maxFailures: budget,
    resumed: !!run.resume,
    skipped: [...done],
    ...(dry ? { dryRun: true } : {}),
  });

  const set = (host: string, s: RollingState, extra: Partial<RollingHostReport> = {}) => {
    const r = { ...state.get(host)!, state: s, ...extra };
    state.set(host, r);
    append({
      kind: 'step',
      time: new Date().toISOString(),
      host,
      state: s,
      ...(r.step ? { step: r.step } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
      ...(r.release ? { release: r.release } : {}),
    });
    events.emit({
      type: 'rolling.host',
      id,
      host,
      state: s,
      ...(r.step ? { step: r.step } : {}),
      ...(r.detail ? { detail: r.detail } : {}),
      ...(r.release ? { release: r.release } : {}),
    });
  };

  let stopping = false;
  const unregister = run.interrupts.graceful(() => (stopping = true));
  const release =
    opts.lock === false
      ? async () => {}
      : await acquireLocks(ctx, todo, opts.lock ?? '/tmp/fabts-deploy.lock', id, run.breakLock);
  let outcome: RollingReport['outcome'] = 'complete';
  try {
    for (const [i, batch] of batches.entries()) {
      if (stopping || runConfigOf(ctx).signal.aborted) {
        outcome = 'interrupted';
        break;
      }
      if (i > 0 && opts.pause) await new Promise((r) => setTimeout(r, toMs(opts.pause!)));
      events.emit({ type: 'rolling.batch', id, index: i + 1, hosts: batch.map((h) => h.name) });
      await Promise.all(batch.map((h) => oneHost(ctx, id, h, opts, set)));
      if (runConfigOf(ctx).signal.aborted) outcome = 'interrupted';
      const failed = [...state.values()].filter((r) => r.state === 'failed').length;
      if (overBudget(failed, budget)) {
        outcome = 'halted';
        break;
      }
    }
    if (outcome === 'complete' && (stopping || runConfigOf(ctx).signal.aborted))
      outcome = [...state.values()].every((r) => r.state === 'done') ? 'complete' : 'interrupted';
  } finally {
    unregister();
    await release().catch(() => undefined);
  }
  const report: RollingReport = { id, outcome, hosts: hosts.map((h) => state.get(h.name)!) };
  const resume = outcome === 'complete' || dry ? undefined : `fab resume ${id}`;
  append({ kind: 'end', time: new Date().toISOString(), outcome });
  events.emit({
    type: 'rolling.end',
    id,
    outcome,
    hosts: report.hosts,
    ...(resume ? { resume } : {}),
    ...(dry ? { dryRun: true } : {}),
  });
  if (outcome === 'interrupted') throw new InterruptedError();
  if (outcome === 'halted' || report.hosts.some((r) => r.state === 'failed')) {
    const failed = report.hosts.filter((r) => r.state === 'failed');
    throw new RollingError(
      `rolling run ${id} ${outcome === 'halted' ? 'halted' : 'finished with failures'}: ${failed.map((f) => `${f.host} failed at ${f.step}`).join(', ')}; ${resume ? `continue with: ${resume} (journal ${runsDir(run.root)}/${id}.ndjson)` : ''}`,
      report,
    );
  }
  return report;
}

type Setter = (host: string, s: RollingState, extra?: Partial<RollingHostReport>) => void;

/** One host's step sequence; failures are recorded, never thrown (the batch goes on). */
async function oneHost(
  ctx: TaskContext,
  id: string,
  host: HostTarget,
  opts: RollingOptions,
  set: Setter,
): Promise<void> {
  const started = Date.now();
  let step = 'drain';
  let drained = false;
  const fail = (err: unknown) =>
    set(host.name, 'failed', { step, detail: errorMessage(err).split('\n')[0]!, drained, ms: Date.now() - started });
  try {
    set(host.name, 'draining', { step });
    // From here on the host may be (partly) out of the LB: report it drained until undrain succeeds.
    drained = !!opts.drain;
    if (opts.drain) await opts.drain(host, ctx);
    step = 'action';
    set(host.name, 'deploying', { step, drained });
    const label = await ctx.on(host, (h) => opts.action(h));
    const release = typeof label === 'string' ? label : opts.release;
    step = 'gates';
    set(host.name, 'gating', { step, drained, ...(release ? { release } : {}) });
    await runGates(ctx, id, host, opts.gates ?? []);
    step = 'undrain';
    set(host.name, 'undraining', { step });
    if (opts.undrain) await opts.undrain(host, ctx);
    set(host.name, 'done', { step: 'done', drained: false, ms: Date.now() - started });
  } catch (err) {
    if (runConfigOf(ctx).signal.aborted || err instanceof InterruptedError) return fail(new InterruptedError());
    if (opts.onFailure === 'rollback' && opts.rollback && (step === 'action' || step === 'gates')) {
      const failedAt = step;
      const why = errorMessage(err).split('\n')[0]!;
      try {
        set(host.name, 'rolling back', { step: 'rollback', detail: why, drained });
        await ctx.on(host, (h) => opts.rollback!(h));
        await runGates(ctx, id, host, opts.gates ?? []);
        step = failedAt;
        return set(host.name, 'failed', {
          step: failedAt,
          detail: `${why} (rolled back; gates pass on the previous release; still drained)`,
          drained,
          ms: Date.now() - started,
        });
      } catch (rbErr) {
        step = 'rollback';
        return fail(rbErr);
      }
    }
    fail(err);
  }
}

async function runGates(ctx: TaskContext, id: string, host: HostTarget, gates: readonly Gate[]): Promise<void> {
  const events = ctx.events;
  await ctx.on(host, async (h) => {
    for (const g of gates) {
      // Under --dry-run there is no new release to check.
      if (h.dryRun) {
        events.emit({
          type: 'message',
          host: host.name,
          level: 'info',
          text: `would wait for gate ${g.label?.(h) ?? g.name}`,
        });
        continue;
      }
      await waitFor(
        h,
        g,
        (gate, attempt, r) =>
          events.emit({
            type: 'rolling.gate',
            id,
            host: host.name,
            gate: gate.name,
            attempt,
            ok: r.ok,
            detail: r.detail,
          }),
        runConfigOf(ctx).signal,
      );
    }
  });
}
