import { arg, haproxy, lbKind, nginx, setLbBackend, task } from 'fabts';

/**
 * The load-balancer verbs of the original notes, for any LB: each lb host says what it runs with
 * its `lbKind` setting (nginx, the default, or haproxy), so one command drains a backend from all
 * of an environment's balancers: `fab prod disableLb web1`.
 */

export const disableLb = task(
  {
    description: 'Take a backend out of the load balancer pool (nginx or HAProxy)',
    roles: ['lb'],
    args: {
      backend: arg.string({ description: 'backend name as the LB knows it (web1)' }),
      force: arg.boolean({ default: false, description: 'allow emptying a pool (an outage)' }),
    },
  },
  async (ctx, { backend, force }) => {
    const r = await setLbBackend(ctx, backend, false, force);
    ctx.log(
      `${backend} ${r.changed ? (ctx.dryRun ? 'would be disabled' : 'disabled') : 'was already disabled'} on ${ctx.host.name}`,
    );
  },
);

export const enableLb = task(
  { description: 'Put a backend back into the load balancer pool', roles: ['lb'], args: { backend: arg.string() } },
  async (ctx, { backend }) => {
    const r = await setLbBackend(ctx, backend, true);
    ctx.log(
      `${backend} ${r.changed ? (ctx.dryRun ? 'would be enabled' : 'enabled') : 'was already enabled'} on ${ctx.host.name}`,
    );
  },
);

export const lbStatus = task(
  { description: "Show each pool's backends and whether they are enabled", roles: ['lb'] },
  async (ctx) => {
    if (lbKind(ctx) === 'haproxy') {
      const rows = await haproxy.haproxyStatus(ctx);
      for (const r of rows) ctx.log(`${r.backend}  ${r.server.padEnd(12)} ${r.status.padEnd(8)} sessions ${r.scur}`);
      return rows;
    }
    const servers = await nginx.nginxStatus(ctx);
    for (const s of servers) ctx.log(`${s.upstream}  ${s.address.padEnd(24)} ${s.enabled ? 'enabled' : 'disabled'}`);
    return servers;
  },
);
