/**
 * Fabric 1's vocabulary as plain functions: `await run('uptime')` acts on the task's current host.
 * Each call looks the host up in AsyncLocalStorage, so the same fabfile is safe in parallel.
 */
import type { ShellCommand } from '../commands/quote.js';
import type { Task } from '../registry/task.js';
import type { ArgValue } from '../model/args.js';
import type { Settings } from '../model/settings.js';
import { currentFrame } from './als.js';
import type { ExecuteTarget, SudoRunOptions, TaskContext } from './context.js';
import type { ConfirmOptions, PromptOptions } from './prompts.js';
import type { RunCommand, RunOptions } from './result.js';

const ctx = (): TaskContext => currentFrame().ctx;

export const run = (cmd: string | ShellCommand, opts?: RunOptions): RunCommand => ctx().run(cmd, opts);
export const sudo = (cmd: string | ShellCommand, opts?: SudoRunOptions): RunCommand => ctx().sudo(cmd, opts);
export const local = (cmd: string | ShellCommand, opts?: RunOptions): RunCommand => ctx().local(cmd, opts);
export const put = (localPath: string, remotePath: string, opts?: { mode?: number; sudo?: boolean; owner?: string }) => ctx().put(localPath, remotePath, opts);
export const get = (remotePath: string, localPath?: string) => ctx().get(remotePath, localPath);
export const cd = <T>(path: string, fn: () => T): T => ctx().cd(path, fn);
export const withEnv = <T>(vars: Record<string, string | number>, fn: () => T): T => ctx().withEnv(vars, fn);
export const prefix = <T>(cmd: string | ShellCommand, fn: () => T): T => ctx().prefix(cmd, fn);
export const warnOnly = <T>(fn: () => T): T => ctx().warnOnly(fn);
export const execute = (t: Task, target: ExecuteTarget, args?: Record<string, ArgValue | undefined>): Promise<Map<string, unknown>> => ctx().execute(t, target, args);
export const settings = (): Settings => ctx().settings;
export const currentHost = () => ctx().host;
export const context = (): TaskContext => ctx();
export const log = (text: string): void => ctx().log(text);
export const prompt = (question: string, opts?: PromptOptions): Promise<string> => ctx().prompt(question, opts);
export const confirm = (question: string, opts?: ConfirmOptions): Promise<boolean> => ctx().confirm(question, opts);
export { abort } from './prompts.js';

// Fabric's contrib.files on the current host.
export const sed: TaskContext['sed'] = (...a) => ctx().sed(...a);
export const comment: TaskContext['comment'] = (...a) => ctx().comment(...a);
export const uncomment: TaskContext['uncomment'] = (...a) => ctx().uncomment(...a);
export const append: TaskContext['append'] = (...a) => ctx().append(...a);
export const contains: TaskContext['contains'] = (...a) => ctx().contains(...a);
export const exists: TaskContext['exists'] = (...a) => ctx().exists(...a);
export const uploadTemplate: TaskContext['uploadTemplate'] = (...a) => ctx().uploadTemplate(...a);
export const editFile: TaskContext['editFile'] = (...a) => ctx().editFile(...a);
