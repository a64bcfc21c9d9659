import { arg, haproxy, task } from 'fabts';

/**
 * HAProxy load balancers, through the admin socket: drain a server (waiting for its sessions to
 * end), put it in maintenance, and persist `disabled` in the config so a reload keeps it out.
 * Settings: haproxySocket (/run/haproxy/admin.sock), haproxyConf (/etc/haproxy/haproxy.cfg),
 * haproxyBackend (app), haproxyValidate (haproxy -c -q -f %s), haproxyDrainTimeout (60 s).
 */

export const disableHaproxy = task(
  {
    description: 'Drain a server, wait for its sessions to end, put it in maintenance',
    roles: ['lb'],
    args: {
      server: arg.string(),
      force: arg.boolean({ default: false, description: 'allow leaving the backend with no enabled server' }),
    },
  },
  (ctx, { server, force }) => haproxy.setHaproxyServer(ctx, server, false, force),
);

export const enableHaproxy = task(
  { description: 'Put a server back into the HAProxy backend', roles: ['lb'], args: { server: arg.string() } },
  (ctx, { server }) => haproxy.setHaproxyServer(ctx, server, true),
);
