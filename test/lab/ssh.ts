// Run commands on lab hosts with the real OpenSSH client and the lab's generated ssh_config.
import { run } from './proc.js';
import type { RunResult } from './proc.js';
import type { LabState } from './types.js';

export interface LabSshOptions {
  /** login user (default: the ssh_config's User, i.e. fabts) */
  user?: string;
  /** written to the remote command's stdin */
  input?: string;
  /** extra ssh options, e.g. ['-o', 'ProxyJump=none']; they take precedence over BatchMode/ConnectTimeout defaults */
  args?: string[];
  timeoutMs?: number;
}

export function sshArgs(state: LabState, host: string, command: string, opts: LabSshOptions = {}): string[] {
  // ssh keeps the FIRST value of an option: caller's args go before our defaults so they can override them
  return [
    '-F',
    state.sshConfig,
    ...(opts.user ? ['-l', opts.user] : []),
    ...(opts.args ?? []),
    '-o',
    'BatchMode=yes',
    '-o',
    'ConnectTimeout=5',
    host,
    command,
  ];
}

/** ssh -F $LAB/ssh_config -o BatchMode=yes HOST COMMAND; resolves with the exit code (255 = ssh error). */
export function labSsh(state: LabState, host: string, command: string, opts: LabSshOptions = {}): Promise<RunResult> {
  return run('ssh', sshArgs(state, host, command, opts), {
    timeoutMs: opts.timeoutMs ?? 30_000,
    input: opts.input ?? '',
  });
}
