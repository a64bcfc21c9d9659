import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { arg, setLbBackend, task, type TaskContext } from 'fabts';

/**
 * The operations bench/latency.ts times on a warm connection (one fab process; the first use of each
 * operation is not timed). Each repetition prints `LATENCY {"op","start","end","ms"}` (window in ms since the epoch)
 * on stdout so the bench can also count the proxy's turns inside it.
 */

/** Times `f` `reps` times after one untimed warm-up; `after` (untimed) undoes it when it must be undone. */
async function timed(
  op: string,
  reps: number,
  f: (i: number) => Promise<unknown>,
  after: () => Promise<unknown> = async () => undefined,
): Promise<void> {
  await f(-1); // warm: SFTP session, sudo's first prompt, the home directory, ...
  await after();
  for (let i = 0; i < reps; i++) {
    await new Promise((r) => setTimeout(r, 150)); // quiet gap: turns of one repetition stay inside its window
    // the window in wall-clock ms (what the proxies log turns in: the same clock in both processes), the
    // duration from the monotonic clock
    const start = Date.now();
    const t0 = performance.now();
    await f(i);
    const ms = performance.now() - t0;
    const end = Date.now();
    process.stdout.write(`LATENCY ${JSON.stringify({ op, start, end, ms })}\n`);
    await after();
  }
}

const ops: Record<string, (ctx: TaskContext, reps: number) => Promise<void>> = {
  async command(ctx, reps) {
    await timed('command', reps, async () => await ctx.run('true').quiet());
  },
  async sudo(ctx, reps) {
    await timed('sudo', reps, async () => await ctx.sudo('true').quiet());
  },
  async edit(ctx, reps) {
    const f = '/tmp/fab-latency-edit.conf';
    await ctx.run(`printf 'listen 80;\\nworkers 1;\\n' > ${f}`).quiet();
    await timed('edit', reps, (i) => ctx.editFile(f, (t) => t.replace(/workers \d+;/, `workers ${i + 10};`)));
  },
  async editSudo(ctx, reps) {
    const f = '/etc/fab-latency.conf';
    await ctx.sudo(`printf 'listen 80;\\nworkers 1;\\n' > ${f}`).quiet();
    await timed('edit (sudo)', reps, (i) =>
      ctx.editFile(f, (t) => t.replace(/workers \d+;/, `workers ${i + 10};`), { sudo: true }),
    );
  },
  async put(ctx, reps) {
    const local = join(mkdtempSync(join(tmpdir(), 'fab-latency-')), 'small.txt');
    writeFileSync(local, 'x'.repeat(1024));
    await timed('put 1 KiB', reps, () => ctx.put(local, '/tmp/fab-latency-put.txt'));
  },
  async disableLb(ctx, reps) {
    const backend = ctx.settings.string('latencyBackend', 'web2');
    await timed(
      'nginx disableLb',
      reps,
      () => setLbBackend(ctx, backend, false),
      () => setLbBackend(ctx, backend, true),
    );
  },
};

export const latencyOps = task(
  {
    description: 'Time run/sudo/editFile/put/LB operations on a warm connection (bench/latency.ts)',
    args: {
      ops: arg.string({ description: `comma-separated: ${Object.keys(ops).join(',')}` }),
      reps: arg.number({ default: 5 }),
    },
  },
  async (ctx, a) => {
    await ctx.run('true').quiet(); // connect
    for (const op of a.ops.split(',')) await ops[op]!(ctx, a.reps);
  },
);
