/**
 * The narrow interface recipes, file edits, health gates and services depend on: one host, its settings,
 * the dry-run flag, the event stream, commands and transfers. Nothing about the run's internals (the sudo
 * password, the abort signal, the run's config) is reachable through it.
 */
import type { ShellCommand } from '../commands/quote.js';
import type { HostTarget } from '../model/hostset.js';
import type { Settings } from '../model/settings.js';
import type { FabEvent } from '../report/events.js';
import type { Transport } from '../transport/types.js';
import type { RunCommand, RunOptions } from './result.js';
import type { SudoOptions } from './scope.js';

export type SudoRunOptions = SudoOptions & RunOptions;

export interface PutOptions {
  /** Mode of every uploaded file (with sudo, also over an existing file's). */
  mode?: number;
  /** Give each uploaded file the mode it has here (`mode` wins). */
  mirrorLocalMode?: boolean;
  /** Install as root: upload to a private temp dir, then move into place keeping owner, group and mode. */
  sudo?: boolean;
  /** chown the installed files (and new folders) to this `user` or `user:group`; implies sudo. */
  owner?: string;
}

export interface PutResult {
  /** The remote path asked for (absolute). */
  remote: string;
  /** Bytes of all files sent. */
  bytes: number;
  /** Each file uploaded, where it went (a folder or glob uploads several). */
  files: { local: string; remote: string; bytes: number }[];
}

export interface GetOptions {
  /** Read a file only root can read: copied as root into a private temp dir first. */
  sudo?: boolean;
}

/** The part of the run's event bus a host may use: report, and mask what must never be shown. */
export interface HostEvents {
  emit(event: FabEvent): void;
  /** Register a secret: every later event, error and output line shows it as `***`. */
  addSecret(secret: string): void;
  mask(text: string): string;
}

export interface Host {
  readonly host: HostTarget;
  readonly settings: Settings;
  readonly dryRun: boolean;
  /** The name of the task being run (for messages). */
  readonly task: string;
  readonly events: HostEvents;
  run(cmd: string | ShellCommand, opts?: RunOptions): RunCommand;
  sudo(cmd: string | ShellCommand, opts?: SudoRunOptions): RunCommand;
  /** A command on the operator's machine, with FAB_HOST set to this host. */
  local(cmd: string | ShellCommand, opts?: RunOptions): RunCommand;
  put(localPath: string, remotePath: string, opts?: PutOptions): Promise<PutResult>;
  get(remotePath: string, localPath?: string, opts?: GetOptions): Promise<{ local: string; bytes: number }>;
  /** The host's transport, for SFTP reads and stats (file edits). */
  connection(): Promise<Transport>;
  /** Runs fn without the cd/env/prefix scope (helpers that build their own absolute commands). */
  unscoped<T>(fn: () => T): T;
  /** A remote path with relative paths resolved against the current `cd`. */
  remotePath(p: string): string;
  log(text: string): void;
  warn(text: string): void;
}
