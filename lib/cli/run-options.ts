import { secret } from '../commands/quote.js';
import type { FabOptions } from '../config/options.js';
import { UsageError } from '../errors.js';
import type { RunPlanOptions } from '../exec/run-plan.js';
import { parseShard } from '../exec/shard.js';
import type { EventBus } from '../report/events.js';
import type { Interrupts } from '../run/interrupt.js';
import type { Prompts } from '../run/prompts.js';
import type { Credentials } from '../transport/credentials.js';
import { persistDuration } from './option-checks.js';

/**
 * From the checked options to what runPlan is given: the run's settings (dry run, prompts, sudo password,
 * timeouts) and how hosts are reached (ssh options; the embedded ssh2, the per-user agent or the system ssh).
 * Pure: main.ts has asked for passwords and confirmations before.
 */

/** What the run knows besides its options. */
export interface RunSetup {
  events: EventBus;
  prompts: Prompts;
  credentials: Credentials;
  /** The sudo password (--sudo-password or FAB_SUDO_PASSWORD) */
  password?: string | undefined;
  settingsOverrides: Record<string, string>;
  /** The project root: where `.fab/runs/` goes */
  root: string;
  argv: string[];
  /** The id of the rolling run `fab resume` continues */
  resume?: string | undefined;
  env: NodeJS.ProcessEnv;
  interrupts: Interrupts;
}

export function runPlanOptions(opts: FabOptions, setup: RunSetup): RunPlanOptions {
  const { events, prompts, credentials, password, settingsOverrides, root, argv, resume, env, interrupts } = setup;
  return {
    events,
    cfg: {
      run: {
        root,
        argv,
        ...(resume ? { resume } : {}),
        breakLock: opts.breakLock,
        interrupts,
      },
      warnOnly: opts.warnOnly,
      dryRun: opts.dryRun,
      prompts,
      ...(opts.pty ? { pty: true } : {}),
      ...(opts.commandTimeout ? { commandTimeoutMs: opts.commandTimeout * 1000 } : {}),
      ...(password ? { sudoPassword: secret(password) } : {}),
    },
    ssh: {
      ...(opts.user ? { user: opts.user } : {}),
      ...(opts.port ? { port: opts.port } : {}),
      identity: opts.identity,
      ...(opts.gateway ? { gateway: opts.gateway } : {}),
      ...(opts.knownHosts ? { knownHosts: opts.knownHosts } : {}),
      acceptNew: opts.acceptNew,
      ...(opts.timeout ? { connectTimeoutMs: opts.timeout * 1000 } : {}),
      attempts: Math.max(1, opts.connectionAttempts),
      keepaliveMs: 15_000,
      forwardAgent: opts.forwardAgent,
      credentials,
    },
    ...(opts.sshConfig ? { sshConfigPath: opts.sshConfig } : {}),
    ...openSshChoice(opts, env),
    ...(opts.shard ? { shard: parseShard(opts.shard) } : {}),
    parallel: opts.parallel,
    ...(opts.poolSize ? { poolSize: opts.poolSize } : {}),
    skipBadHosts: opts.skipBadHosts,
    settingsOverrides,
    signal: interrupts.signal,
  };
}

/**
 * --ssh-client openssh runs over the system ssh client (with --persist: ControlPersist); --persist
 * alone keeps ssh2 connections in the per-user fab agent; otherwise the embedded ssh2, for this run.
 */
function openSshChoice(
  opts: FabOptions,
  env: NodeJS.ProcessEnv,
): {
  openssh?: { persistMs?: number; acceptNew: boolean; sshConfigPath?: string };
  agent?: { persistMs: number; acceptNew: boolean; sshConfigPath?: string };
} {
  const persistMs = persistDuration(opts.persist);
  if (opts.sshClient !== 'openssh') {
    // An interactive --shell gains nothing from a kept connection: it goes direct over ssh2.
    if (!persistMs || opts.shell) return {};
    const config = opts.sshConfig ? { sshConfigPath: opts.sshConfig } : {};
    return { agent: { persistMs, acceptNew: opts.acceptNew, ...config } };
  }
  // The ssh client runs in batch mode: a password fab holds cannot reach it (no askpass bridge yet).
  if (opts.password || opts.initialPasswordPrompt || env.FAB_PASSWORD) {
    throw new UsageError(
      'password logins (-p, -I, FAB_PASSWORD) work only with the embedded ssh2 client, not with --ssh-client openssh',
      'log in with a key (ssh-agent for a passphrase), or leave out --ssh-client openssh',
    );
  }
  return {
    openssh: {
      acceptNew: opts.acceptNew,
      ...(persistMs ? { persistMs } : {}),
      ...(opts.sshConfig ? { sshConfigPath: opts.sshConfig } : {}),
    },
  };
}
