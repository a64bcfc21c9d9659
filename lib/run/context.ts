import { basename, resolve as resolveLocal } from 'node:path';
import { mkdir } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { posix } from 'node:path';
import { sh, toCommand, type ShellCommand } from '../commands/quote.js';
import { UsageError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { Task } from '../registry/task.js';
import type { ArgValue } from '../model/args.js';
import type { Settings } from '../model/settings.js';
import type { Transport } from '../transport/types.js';
import { als, scopeFor } from './als.js';
import { RunCommand, RunResult, type RunOptions } from './result.js';
import { runCommand, type RunConfig } from './runner.js';
import { DEFAULT_OUTPUT_LIMIT } from './capture.js';
import { ROOT_SCOPE, applyScope, scopeCd, scopeEnv, scopePrefix, sudoWrap, type SudoOptions } from './scope.js';
import { Prompts, type ConfirmOptions, type PromptOptions } from './prompts.js';
import * as files from '../files/helpers.js';
import { absolutePath, editFile, type EditOptions, type EditResult } from '../files/edit.js';
import type { ContainsOptions, Pattern, SedOptions } from '../files/transforms.js';
import type { Replacement } from '../files/helpers.js';

/** What the executor gives a context: the host, its pooled connection, and the run's shared config. */
export interface HostRuntime {
  host: HostTarget;
  hosts: HostTarget[];
  settings: Settings;
  task: string;
  cfg: RunConfig;
  connect(): Promise<Transport>;
  localTransport(): Promise<Transport>;
  execute(task: Task, target: ExecuteTarget, args: Record<string, ArgValue | undefined>): Promise<Map<string, unknown>>;
  contextFor(host: HostTarget): TaskContext;
  resolveTarget(target: ExecuteTarget): HostTarget[];
}

/** Hosts for `execute`: host names, a role (`{ role: 'web' }`), or host targets. */
export type ExecuteTarget = string | readonly string[] | { role: string } | readonly HostTarget[];

export type SudoRunOptions = SudoOptions & RunOptions;

/**
 * The object passed to every task. Its methods act on the task's current host; the same operations
 * are free functions in the DSL (run, sudo, ...), bound to the current host through AsyncLocalStorage.
 */
export class TaskContext {
  constructor(private readonly rt: HostRuntime) {}

  get host(): HostTarget {
    return this.rt.host;
  }
  get hosts(): readonly HostTarget[] {
    return this.rt.hosts;
  }
  get settings(): Settings {
    return this.rt.settings;
  }
  get dryRun(): boolean {
    return this.rt.cfg.dryRun;
  }
  get task(): string {
    return this.rt.task;
  }
  /** Shared run configuration; used by the file helpers and gates. */
  get config(): RunConfig {
    return this.rt.cfg;
  }
  connection(): Promise<Transport> {
    return this.rt.connect();
  }

  /** The `output_limit` setting: bytes of each stream a command's result keeps. */
  private outputLimit(): number {
    const n = this.rt.settings.number('output_limit', DEFAULT_OUTPUT_LIMIT);
    if (!Number.isInteger(n) || n < 0) throw new UsageError(`setting "output_limit" is ${n}`, 'use a whole number of bytes, e.g. --set output_limit=1048576');
    return n;
  }

  run(cmd: string | ShellCommand, opts: RunOptions = {}): RunCommand {
    const scope = scopeFor(this);
    const requested = toCommand(cmd);
    return new RunCommand(async (o) => {
      const t = await this.rt.connect();
      return runCommand(t, { host: this.host.name, requested, executed: applyScope(scope, requested), sudo: false, local: false }, { ...o, warnOnly: scope.warnOnly || this.rt.cfg.warnOnly, outputLimit: o.outputLimit ?? this.outputLimit() }, this.rt.cfg);
    }, opts);
  }

  sudo(cmd: string | ShellCommand, opts: SudoRunOptions = {}): RunCommand {
    const scope = scopeFor(this);
    const requested = toCommand(cmd);
    const executed = sudoWrap(applyScope(scope, requested), opts, this.rt.cfg.marks);
    return new RunCommand(async (o) => {
      const t = await this.rt.connect();
      return runCommand(t, { host: this.host.name, requested, executed, sudo: true, local: false }, { ...o, warnOnly: scope.warnOnly || this.rt.cfg.warnOnly, outputLimit: o.outputLimit ?? this.outputLimit() }, this.rt.cfg);
    }, opts);
  }

  /** A command on the operator's machine (execa, /bin/sh), with the current host's name in FAB_HOST. */
  local(cmd: string | ShellCommand, opts: RunOptions = {}): RunCommand {
    const scope = scopeEnv(scopeFor(this), { FAB_HOST: this.host.name, FAB_HOST_ADDRESS: this.host.address });
    const requested = toCommand(cmd);
    return new RunCommand(async (o) => {
      const t = await this.rt.localTransport();
      return runCommand(t, { host: this.host.name, requested, executed: applyScope(scope, requested), sudo: false, local: true }, { ...o, warnOnly: scope.warnOnly || this.rt.cfg.warnOnly, outputLimit: o.outputLimit ?? this.outputLimit() }, this.rt.cfg);
    }, opts);
  }

  /** Upload a file; relative remote paths follow `cd`. With `sudo`, it goes through a temp file and `sudo mv`. */
  async put(localPath: string, remotePath: string, opts: { mode?: number; sudo?: boolean; owner?: string } = {}): Promise<{ remote: string; bytes: number }> {
    const remote = await absolutePath(this, remotePath);
    const t = await this.rt.connect();
    if (this.dryRun) {
      this.rt.cfg.events.emit({ type: 'message', host: this.host.name, level: 'info', text: `would upload ${localPath} to ${remote}` });
      return { remote, bytes: 0 };
    }
    let bytes: number;
    if (opts.sudo || opts.owner) {
      // The login user may not write there: upload to an unguessable temp name, then move it as root.
      const tmp = `/tmp/.fab-put-${randomBytes(8).toString('hex')}`;
      bytes = await t.put(localPath, tmp, opts.mode === undefined ? {} : { mode: opts.mode });
      await this.sudo(opts.owner ? sh`chown ${opts.owner} ${tmp} && mv -f ${tmp} ${remote}` : sh`mv -f ${tmp} ${remote}`).quiet();
    } else {
      bytes = await t.put(localPath, remote, opts.mode === undefined ? {} : { mode: opts.mode });
    }
    this.rt.cfg.events.emit({ type: 'transfer', host: this.host.name, direction: 'put', local: localPath, remote, bytes });
    return { remote, bytes };
  }

  /** Download a file. `{host}` in the local path is replaced by the host name (default: ./<host>/<basename>). */
  async get(remotePath: string, localPath?: string): Promise<{ local: string; bytes: number }> {
    const remote = await absolutePath(this, remotePath);
    const local = resolveLocal((localPath ?? `{host}/${posix.basename(remote)}`).split('{host}').join(this.host.name));
    await mkdir(resolveLocal(local, '..'), { recursive: true });
    const t = await this.rt.connect();
    const bytes = await t.get(remote, local);
    this.rt.cfg.events.emit({ type: 'transfer', host: this.host.name, direction: 'get', local, remote, bytes });
    return { local, bytes };
  }

  cd<T>(path: string, fn: () => T): T {
    return als.run({ ctx: this, scope: scopeCd(scopeFor(this), path) }, fn);
  }
  withEnv<T>(vars: Record<string, string | number>, fn: () => T): T {
    return als.run({ ctx: this, scope: scopeEnv(scopeFor(this), vars) }, fn);
  }
  prefix<T>(cmd: string | ShellCommand, fn: () => T): T {
    return als.run({ ctx: this, scope: scopePrefix(scopeFor(this), cmd) }, fn);
  }
  warnOnly<T>(fn: () => T): T {
    return als.run({ ctx: this, scope: { ...scopeFor(this), warnOnly: true } }, fn);
  }

  /** Run another task on other hosts from inside this one; returns each host's return value. */
  execute<A extends Record<string, ArgValue | undefined>>(t: Task, target: ExecuteTarget, args: A = {} as A): Promise<Map<string, unknown>> {
    return this.rt.execute(t, target, args);
  }

  /** Run fn with a context for another host (pooled connection, same run): `await ctx.on(web1, (w) => w.run('uptime'))`. */
  on<T>(host: HostTarget, fn: (ctx: TaskContext) => T): T {
    const other = this.rt.contextFor(host);
    return als.run({ ctx: other, scope: ROOT_SCOPE }, () => fn(other));
  }

  /** Hosts by name, glob, role (`{ role: 'web' }`) or as targets, from the run's host sets. */
  resolveHosts(target: ExecuteTarget): HostTarget[] {
    return this.rt.resolveTarget(target);
  }

  /** Ask the operator once per run (or per host with `perHost`); see run/prompts.ts. */
  prompt(question: string, opts: PromptOptions = {}): Promise<string> {
    return this.prompts().prompt(question, opts, this.host.name);
  }
  confirm(question: string, opts: ConfirmOptions = {}): Promise<boolean> {
    return this.prompts().confirm(question, opts, this.host.name);
  }
  private prompts(): Prompts {
    return (this.rt.cfg.prompts ??= new Prompts({ yes: false, answers: {} }));
  }

  log(text: string): void {
    this.rt.cfg.events.emit({ type: 'message', host: this.host.name, level: 'info', text });
  }
  warn(text: string): void {
    this.rt.cfg.events.emit({ type: 'message', host: this.host.name, level: 'warning', text });
  }

  /** Runs fn without the cd/env/prefix scope (file helpers build their own absolute commands). */
  unscoped<T>(fn: () => T): T {
    return als.run({ ctx: this, scope: ROOT_SCOPE }, fn);
  }

  // Fabric's contrib.files, bound to this host (see lib/files/helpers.ts).
  sed(path: string, before: Pattern, after: Replacement, opts?: SedOptions & EditOptions): Promise<EditResult> {
    return files.sed(this, path, before, after, opts);
  }
  comment(path: string, pattern: Pattern, opts?: { char?: string } & EditOptions): Promise<EditResult> {
    return files.comment(this, path, pattern, opts);
  }
  uncomment(path: string, pattern: Pattern, opts?: { char?: string } & EditOptions): Promise<EditResult> {
    return files.uncomment(this, path, pattern, opts);
  }
  append(path: string, text: string | readonly string[], opts?: { partial?: boolean } & EditOptions): Promise<EditResult> {
    return files.append(this, path, text, opts);
  }
  contains(path: string, text: Pattern, opts?: ContainsOptions & { sudo?: boolean }): Promise<boolean> {
    return files.contains(this, path, text, opts);
  }
  exists(path: string, opts?: { sudo?: boolean }): Promise<boolean> {
    return files.exists(this, path, opts);
  }
  uploadTemplate(localPath: string, remotePath: string, context: Record<string, string | number | boolean>, opts?: EditOptions): Promise<EditResult> {
    return files.uploadTemplate(this, localPath, remotePath, context, opts);
  }
  editFile(path: string, transform: (text: string) => string, opts?: EditOptions): Promise<EditResult> {
    return editFile(this, path, transform, opts);
  }

  /** A remote path with relative paths resolved against the current `cd`. */
  remotePath(p: string): string {
    if (p === '') throw new UsageError('empty remote path', 'give put/get a file path');
    const cwd = scopeFor(this).cwd;
    if (p.startsWith('/') || p.startsWith('~') || cwd === undefined) return p;
    return posix.join(cwd, p);
  }
}

export type { RunResult };
