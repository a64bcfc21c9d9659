import { arg, nginx, task } from 'fabts';

/**
 * nginx load balancers: take a backend out of the upstream pool by commenting its `server` line
 * (validated with nginx -t, reloaded, checked), put it back, show the pools. Settings: nginxConf
 * (/etc/nginx/nginx.conf), nginxValidate (nginx -t -q -c %s), nginxReload (nginx -s reload),
 * nginxPid (/run/nginx.pid), nginxHealthUrl, nginxSudo (auto).
 */

const backendArgs = {
  backend: arg.string({ description: 'backend host (web1) or address (web1:8080) as written in the upstream' }),
  force: arg.boolean({ default: false, description: 'allow leaving an upstream with no enabled server' }),
};

export const disableNginx = task(
  { description: 'Comment a backend out of the nginx upstreams, reload, check', roles: ['lb'], args: backendArgs },
  (ctx, { backend, force }) => nginx.setNginxBackend(ctx, backend, false, force),
);

export const enableNginx = task(
  {
    description: 'Put a backend back into the nginx upstreams, reload, check',
    roles: ['lb'],
    args: { backend: backendArgs.backend },
  },
  (ctx, { backend }) => nginx.setNginxBackend(ctx, backend, true),
);

export const reloadNginx = task(
  { description: 'Reload nginx and wait for the old workers to finish', roles: ['lb'] },
  (ctx) => nginx.reloadNginx(ctx),
);
