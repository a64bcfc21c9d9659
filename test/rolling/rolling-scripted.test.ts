// rolling() on scripted hosts: batches, the failure budget, halt, the journal and resume, the lock (no lab needed).
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import * as gates from '../../lib/health/gates.js';
import type { FabEvent } from '../../lib/report/events.js';
import { rolling } from '../../lib/rolling/rolling.js';
import type { Size } from '../../lib/rolling/plan.js';
import { task } from '../../lib/task/task.js';
import { ScriptedTransport, runTask, type SeenCommand } from '../../lib/testing/index.js';

const dirs: string[] = [];
afterEach(() => dirs.splice(0).forEach((d) => rmSync(d, { recursive: true, force: true })));
const tmp = () => {
  const d = mkdtempSync(join(tmpdir(), 'fabts-rolling-'));
  dirs.push(d);
  return d;
};

const LOCK = '/srv/app/.fab-deploy.lock';
const isLock = (c: SeenCommand) => c.command.includes(LOCK);
const trail: string[] = [];
const roll = (batch: Size[], maxFailures = 0) =>
  task({ runsOnce: true }, (ctx) =>
    rolling(ctx, ctx.hosts, {
      batch,
      maxFailures,
      lock: LOCK,
      drain: async (h) => void trail.push(`drain ${h.name}`),
      action: async (h) => (await h.run('deploy 2.0')).stdout.trim(),
      gates: [gates.command('check', { rise: 1, interval: '10ms', timeout: '1s' })],
      undrain: async (h) => void trail.push(`undrain ${h.name}`),
    }),
  );

/** A web host whose deploy answers `ok` and whose health check passes unless told otherwise. */
function web(name: string, o: { deploy?: number; check?: number } = {}): ScriptedTransport {
  return new ScriptedTransport(name)
    .on(isLock)
    .on('deploy 2.0', { stdout: 'v2.0\n', code: o.deploy ?? 0, stderr: o.deploy ? 'no space left\n' : '' })
    .on('check', { code: o.check ?? 0 });
}
const batchesOf = (events: FabEvent[]) => events.flatMap((e) => (e.type === 'rolling.batch' ? [e.hosts] : []));
const states = (events: FabEvent[]) => {
  const end = events.find((e) => e.type === 'rolling.end');
  return end && end.type === 'rolling.end' ? Object.fromEntries(end.hosts.map((h) => [h.host, h.state])) : {};
};

describe('rolling() on scripted hosts', () => {
  it('rolls a canary, then batches of 50 %, through drain, action, gates and undrain', async () => {
    trail.length = 0;
    const hosts = { w1: web('w1'), w2: web('w2'), w3: web('w3'), w4: web('w4'), w5: web('w5') };
    const r = await runTask(roll([1, '50%']), { hosts, rolling: { root: tmp() } });
    expect(r.exitCode).toBe(0);
    expect(batchesOf(r.events)).toEqual([['w1'], ['w2', 'w3'], ['w4', 'w5']]);
    expect(states(r.events)).toEqual({ w1: 'done', w2: 'done', w3: 'done', w4: 'done', w5: 'done' });
    expect(trail.slice(0, 2)).toEqual(['drain w1', 'undrain w1']);
    // The lock is taken on every host before the first drain and released after the last undrain.
    for (const t of Object.values(hosts)) {
      const seq = t.commands.map((c) => (isLock(c) ? (c.command.startsWith('mkdir') ? 'lock' : 'unlock') : c.command));
      expect(seq).toEqual(['lock', 'deploy 2.0', 'check', 'unlock']);
    }
  });

  it('halts when failures exceed the budget: the failed host stays drained, later hosts are untouched', async () => {
    trail.length = 0;
    const hosts = { w1: web('w1'), w2: web('w2', { deploy: 28 }), w3: web('w3'), w4: web('w4') };
    const root = tmp();
    const r = await runTask(roll([1, 1]), { hosts, rolling: { root } });
    expect(r.exitCode).toBe(1);
    expect(states(r.events)).toEqual({ w1: 'done', w2: 'failed', w3: 'untouched', w4: 'untouched' });
    expect(trail).toEqual(['drain w1', 'undrain w1', 'drain w2']);
    expect(hosts.w3.commands.filter((c) => !isLock(c))).toEqual([]);
    expect(r.error('(once)')?.message).toMatch(/halted: w2 failed at action; continue with: fab resume /);

    // fab resume: w1 is skipped (done), w2 starts again from its drain, and the run completes.
    const id = readdirSync(join(root, '.fab/runs'))[0]!.replace(/\.ndjson$/, '');
    trail.length = 0;
    const again = { w1: web('w1'), w2: web('w2'), w3: web('w3'), w4: web('w4') };
    const r2 = await runTask(roll([1, 1]), { hosts: again, rolling: { root, resume: id } });
    expect(r2.exitCode).toBe(0);
    expect(batchesOf(r2.events)).toEqual([['w2'], ['w3'], ['w4']]);
    expect(again.w1.commands.filter((c) => !isLock(c))).toEqual([]);
    expect(trail[0]).toBe('drain w2');
  });

  it('goes on within the budget: one failure allowed, the next batch still runs', async () => {
    const hosts = { w1: web('w1'), w2: web('w2', { check: 1 }), w3: web('w3') };
    const r = await runTask(roll([1], 1), { hosts, rolling: { root: tmp() } });
    expect(states(r.events)).toEqual({ w1: 'done', w2: 'failed', w3: 'done' });
    expect(r.exitCode).toBe(1); // a run with a failed host still fails, after finishing
  });

  it("refuses to start when a host holds another run's lock, touching no host", async () => {
    const held = new ScriptedTransport('w2')
      .on((c) => isLock(c) && c.command.startsWith('mkdir'), { code: 75, stdout: 'run=other user=ops@ci\n' })
      .on(isLock);
    const hosts = { w1: web('w1'), w2: held };
    const r = await runTask(roll([1]), { hosts, rolling: { root: tmp() } });
    expect(r.exitCode).toBe(1);
    expect(r.error('(once)')?.message).toMatch(/deploy lock .* is held: run=other user=ops@ci/);
    expect(hosts.w1.commands.filter((c) => !isLock(c))).toEqual([]);
  });
});
