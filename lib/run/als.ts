import { AsyncLocalStorage } from 'node:async_hooks';
import { UsageError } from '../errors.js';
import type { Host } from './host.js';
import { ROOT_SCOPE, type Scope } from './scope.js';

/** The current host's context and scope, per async call chain: safe in parallel, no global `env`. */
export interface Frame {
  ctx: Host;
  scope: Scope;
}

export const als = new AsyncLocalStorage<Frame>();

export function currentFrame(): Frame {
  const f = als.getStore();
  if (!f)
    throw new UsageError(
      'run/sudo/put/get called outside a task',
      'call them from inside a task(...) function, or use the ctx passed to it',
    );
  return f;
}

export function scopeFor(ctx: Host): Scope {
  const f = als.getStore();
  return f && f.ctx === ctx ? f.scope : ROOT_SCOPE;
}
