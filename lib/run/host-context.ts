import { posix } from 'node:path';
import { sh, toCommand, type ShellCommand } from '../commands/quote.js';
import { rsyncArgs, type RsyncOptions } from '../commands/rsync.js';
import { UsageError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { Settings } from '../model/settings.js';
import type { Transport } from '../transport/types.js';
import { als, scopeFor } from './als.js';
import { DEFAULT_OUTPUT_LIMIT } from './capture.js';
import type { GetOptions, Host, HostEvents, PutOptions, PutResult, SudoRunOptions } from './host.js';
import { getFile } from './get-file.js';
import { putFiles } from './put-files.js';
import { reboot, type RebootOptions } from './reboot.js';
import { openShell } from './shell.js';
import { absolutePath } from './paths.js';
import { RunCommand, type RunOptions, type RunResult } from './result.js';
import { runCommand, type CommandRequest, type RunConfig } from './runner.js';
import { ROOT_SCOPE, applyScope, scopeCd, scopeEnv, scopePrefix, sudoWrap, type Scope } from './scope.js';

/** What the executor gives a host context: the host, its pooled connection, and the run's shared config. */
export interface CoreRuntime {
  host: HostTarget;
  settings: Settings;
  task: string;
  cfg: RunConfig;
  connect(): Promise<Transport>;
  /** Drop the host's pooled connection and connect again (reboot). */
  reopen(): Promise<Transport>;
  localTransport(): Promise<Transport>;
}

/** The run's internals stay out of reach of fabfiles: only lib/ modules that import this can get at them. */
const runtimes = new WeakMap<HostContext, CoreRuntime>();
export const runtimeOf = (ctx: HostContext): CoreRuntime => runtimes.get(ctx)!;

/**
 * One host's commands, transfers and scopes (cd/env/prefix/warnOnly, per async call chain). The task
 * context that fabfiles receive extends it with multi-host orchestration, prompts and file helpers.
 */
export class HostContext implements Host {
  constructor(rt: CoreRuntime) {
    runtimes.set(this, rt);
  }

  get host(): HostTarget {
    return runtimeOf(this).host;
  }
  get settings(): Settings {
    return runtimeOf(this).settings;
  }
  get dryRun(): boolean {
    return runtimeOf(this).cfg.dryRun;
  }
  get task(): string {
    return runtimeOf(this).task;
  }
  get events(): HostEvents {
    return runtimeOf(this).cfg.events;
  }
  connection(): Promise<Transport> {
    return runtimeOf(this).connect();
  }

  /** The `output_limit` setting: bytes of each stream a command's result keeps. */
  private outputLimit(): number {
    const n = this.settings.number('output_limit', DEFAULT_OUTPUT_LIMIT);
    if (!Number.isInteger(n) || n < 0) {
      throw new UsageError(
        `setting "output_limit" is ${n}`,
        'use a whole number of bytes, e.g. --set output_limit=1048576',
      );
    }
    return n;
  }

  private command(req: Omit<CommandRequest, 'host'>, scope: Scope, opts: RunOptions, local = false): RunCommand {
    const rt = runtimeOf(this);
    return new RunCommand(async (o) => {
      const t = await (local ? rt.localTransport() : rt.connect());
      const warnOnly = scope.warnOnly || rt.cfg.warnOnly;
      return runCommand(
        t,
        { host: this.host.name, ...req },
        { ...o, warnOnly, outputLimit: o.outputLimit ?? this.outputLimit() },
        rt.cfg,
      );
    }, opts);
  }

  run(cmd: string | ShellCommand, opts: RunOptions = {}): RunCommand {
    const scope = scopeFor(this);
    const requested = toCommand(cmd);
    return this.command({ requested, executed: applyScope(scope, requested), sudo: false, local: false }, scope, opts);
  }

  sudo(cmd: string | ShellCommand, opts: SudoRunOptions = {}): RunCommand {
    const scope = scopeFor(this);
    const requested = toCommand(cmd);
    const executed = sudoWrap(applyScope(scope, requested), opts, runtimeOf(this).cfg.marks);
    return this.command({ requested, executed, sudo: true, local: false }, scope, opts);
  }

  /** A command on the operator's machine (execa, /bin/sh), with the current host's name in FAB_HOST. */
  local(cmd: string | ShellCommand, opts: RunOptions = {}): RunCommand {
    const scope = scopeEnv(scopeFor(this), { FAB_HOST: this.host.name, FAB_HOST_ADDRESS: this.host.address });
    const requested = toCommand(cmd);
    return this.command(
      { requested, executed: applyScope(scope, requested), sudo: false, local: true },
      scope,
      opts,
      true,
    );
  }

  /**
   * Upload a file, a folder (recursively) or a glob; relative remote paths follow `cd`. With `sudo` (or
   * `owner`), files go to a private temp dir first and are moved into place as root, atomically.
   */
  async put(localPath: string, remotePath: string, opts: PutOptions = {}): Promise<PutResult> {
    const remote = await absolutePath(this, remotePath);
    return putFiles(this, await this.connection(), localPath, remote, opts, runtimeOf(this).cfg.signal);
  }

  /**
   * Download a file to a local path template: `{host}` (or Fabric's `%(host)s`), `{path}`, `{basename}`,
   * `{dirname}`; default `{host}/{basename}`. With `sudo`, a file only root can read.
   */
  async get(remotePath: string, localPath?: string, opts: GetOptions = {}): Promise<{ local: string; bytes: number }> {
    const remote = await absolutePath(this, remotePath);
    return getFile(this, await this.connection(), runtimeOf(this).cfg, remote, localPath ?? '{host}/{basename}', opts);
  }

  /**
   * Fabric's rsync_project: rsync from here over an ssh with this host's resolved endpoint (address, port,
   * user, keys, known_hosts) and StrictHostKeyChecking=yes. Relative remote paths follow `cd`.
   */
  async rsyncProject(localPath: string, remotePath: string, opts: RsyncOptions = {}): Promise<RunResult> {
    const t = await this.connection();
    const ep = t.endpoint;
    const why = !ep
      ? `the ${t.kind} transport, not ssh`
      : ep.jump
        ? `${ep.jump}; rsync cannot follow fab's jump hosts yet`
        : undefined;
    if (!ep || why)
      throw new UsageError(`rsyncProject: ${this.host.name} is reached through ${why}`, 'use put() for this host');
    const remote = await absolutePath(this, remotePath);
    // Unscoped: a remote `cd` must not become a local one.
    return this.unscoped(() => this.local(sh`rsync ${rsyncArgs(localPath, remote, ep, opts)}`));
  }

  /** An interactive shell on this host in the local terminal (Fabric's open_shell); resolves when it exits. */
  async openShell(): Promise<{ code: number | null }> {
    const { code } = await openShell(this.host.name, await this.connection());
    return { code };
  }

  /** Reboot the host and wait until SSH answers again; later commands use the new connection (see run/reboot.ts). */
  reboot(opts: RebootOptions = {}): Promise<{ ms: number }> {
    return reboot(this, () => runtimeOf(this).reopen(), opts);
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
  unscoped<T>(fn: () => T): T {
    return als.run({ ctx: this, scope: ROOT_SCOPE }, fn);
  }

  log(text: string): void {
    this.events.emit({ type: 'message', host: this.host.name, level: 'info', text });
  }
  warn(text: string): void {
    this.events.emit({ type: 'message', host: this.host.name, level: 'warning', text });
  }

  remotePath(p: string): string {
    if (p === '') throw new UsageError('empty remote path', 'give put/get a file path');
    const cwd = scopeFor(this).cwd;
    if (p.startsWith('/') || p.startsWith('~') || cwd === undefined) return p;
    return posix.join(cwd, p);
  }
}
