import { arg, run, sh, sudo, task } from 'fabts';

/** Small read-only tasks: a first job to run against any host set. */

export const info = task(
  { description: 'Show hostname, kernel, uptime and who we are (and who sudo makes us)' },
  async (ctx) => {
    const name = await run('hostname').quiet();
    const kernel = await run('uname -r').quiet();
    const up = await run('cat /proc/uptime').quiet();
    const me = await run('id -un').quiet();
    const root = await sudo('id -un').quiet();
    const seconds = Math.round(Number(String(up).split(' ')[0]));
    ctx.log(`${name} kernel ${kernel}, up ${seconds}s, login ${me}, sudo ${root}`);
    return { hostname: String(name), kernel: String(kernel), user: String(me), sudoUser: String(root) };
  },
);

export const diskFree = task(
  {
    description: 'Fail if a filesystem is fuller than a threshold',
    args: {
      path: arg.string({ default: '/', description: 'mount point to check' }),
      maxPercent: arg.number({ default: 90 }),
    },
  },
  async (ctx, { path, maxPercent }) => {
    const out = await run(sh`df -P ${path} | tail -1`).quiet();
    const used = Number(/(\d+)%/.exec(String(out))?.[1]);
    ctx.log(`${path}: ${used}% used`);
    if (used > maxPercent) throw new Error(`${path} is ${used}% full (limit ${maxPercent}%)`);
    return used;
  },
);
