import type { EditResult } from '../files/edit.js';
import type { Host } from '../run/host.js';
import { setHaproxyServer } from './haproxy.js';
import { setNginxBackend } from './nginx.js';

/** The LB a host runs, from its `lbKind` setting: nginx (the default) or haproxy. */
export const lbKind = (ctx: Host): 'nginx' | 'haproxy' =>
  ctx.settings.string('lbKind', 'nginx') === 'haproxy' ? 'haproxy' : 'nginx';

/** Take a backend out of (or back into) this LB host's pool, whatever the LB. */
export function setLbBackend(ctx: Host, backend: string, enabled: boolean, force = false): Promise<EditResult> {
  return lbKind(ctx) === 'haproxy'
    ? setHaproxyServer(ctx, backend, enabled, force)
    : setNginxBackend(ctx, backend, enabled, force);
}
