/**
 * Fabric 1's vocabulary as plain functions: `await run('uptime')` acts on the task's current host.
 * Each call looks the host up in AsyncLocalStorage, so the same fabfile is safe in parallel. Every
 * function is the TaskContext method of the same name, bound to the current context.
 */
import { UsageError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { Settings } from '../model/settings.js';
import { currentFrame } from '../run/als.js';
import { TaskContext } from './context.js';

function ctx(): TaskContext {
  const c = currentFrame().ctx;
  if (!(c instanceof TaskContext))
    throw new UsageError('this helper needs a task context', 'call it from inside a task(...) function');
  return c;
}

type Methods = {
  [K in keyof TaskContext]: TaskContext[K] extends (...a: never[]) => unknown ? K : never;
}[keyof TaskContext];

/** The method `name` of whichever context is current when the function is called. */
function bound<K extends Methods>(name: K): TaskContext[K] {
  return ((...a: unknown[]) => {
    const c = ctx();
    return (c[name] as (...x: unknown[]) => unknown).apply(c, a);
  }) as TaskContext[K];
}

export const run = bound('run');
export const sudo = bound('sudo');
export const local = bound('local');
export const put = bound('put');
export const get = bound('get');
export const reboot = bound('reboot');
export const rsyncProject = bound('rsyncProject');
export const openShell = bound('openShell');
export const cd = bound('cd');
export const withEnv = bound('withEnv');
export const prefix = bound('prefix');
export const warnOnly = bound('warnOnly');
export const execute = bound('execute');
export const log = bound('log');
export const prompt = bound('prompt');
export const confirm = bound('confirm');
export const sed = bound('sed');
export const comment = bound('comment');
export const uncomment = bound('uncomment');
export const append = bound('append');
export const contains = bound('contains');
export const exists = bound('exists');
export const uploadTemplate = bound('uploadTemplate');
export const editFile = bound('editFile');
export const settings = (): Settings => ctx().settings;
export const currentHost = (): HostTarget => ctx().host;
export const context = (): TaskContext => ctx();
export { abort } from '../run/prompts.js';
