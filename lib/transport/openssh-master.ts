/**
 * Starting, checking and stopping OpenSSH masters (the I/O around openssh-args.ts). A master that
 * is dead (socket left behind) or wedged (accepts but never answers) is detected by a bounded
 * greeting and replaced; a run never waits on it for more than CHECK_TIMEOUT_MS.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { connect } from 'node:net';
import { ConnectError, HostKeyError } from '../errors.js';
import { describeEndpoint, type SshEndpoint } from './endpoint.js';
import { hostToken } from './knownhosts.js';
import { controlArgs, masterArgs, offeredKey, sshFailure, type OpenSshSetup } from './openssh-args.js';

const CHECK_TIMEOUT_MS = 2000;
const LOCK_POLL_MS = 50;
const MUX_MSG_HELLO = 1;

export interface SshRun {
  code: number | null;
  stderr: string;
  timedOut: boolean;
}

/**
 * Runs the ssh client to completion. Its own process group, so the terminal's Ctrl-C reaches fab
 * (which decides) and not ssh; done at 'exit', since a master that forked may still hold stderr.
 */
export function runSsh(args: string[], timeoutMs: number): Promise<SshRun> {
  return new Promise((resolve) => {
    const child = spawn('ssh', args, { stdio: ['ignore', 'ignore', 'pipe'], detached: true });
    let stderr = '';
    let timedOut = false;
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
    const timer = setTimeout(() => ((timedOut = true), child.kill('SIGKILL')), timeoutMs);
    child.on('error', (err) => (clearTimeout(timer), resolve({ code: null, stderr: `ssh: ${err.message}`, timedOut })));
    child.on('exit', (code) => {
      clearTimeout(timer);
      child.stderr.destroy();
      setImmediate(() => resolve({ code, stderr, timedOut }));
    });
  });
}

/**
 * Whether a master answers on its socket: it greets every new client first (MUX_MSG_HELLO), so one
 * connect tells a live master (about 2 ms) from a dead one (refused, or no socket) or a wedged one
 * (no greeting within the timeout), without starting an ssh process.
 */
export function masterAnswers(controlPath: string, timeoutMs = CHECK_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = connect(controlPath);
    let got = Buffer.alloc(0);
    const finish = (ok: boolean): void => {
      clearTimeout(timer);
      sock.destroy();
      resolve(ok);
    };
    const timer = setTimeout(() => finish(false), timeoutMs);
    sock.on('error', () => finish(false));
    sock.on('close', () => finish(false));
    sock.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      if (got.length >= 8) finish(got.readUInt32BE(4) === MUX_MSG_HELLO);
    });
  });
}

export async function stopMaster(controlPath: string): Promise<boolean> {
  const r = await runSsh(controlArgs(controlPath, 'exit'), CHECK_TIMEOUT_MS);
  removeSocket(controlPath);
  return r.code === 0;
}

function removeSocket(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    /* already gone */
  }
}

/**
 * Makes sure a master answers on setup.controlPath; true when an existing one was reused. Two fab
 * runs starting the same master at once take turns (a lock directory beside the socket): the
 * second finds the first one's master.
 */
export async function ensureMaster(ep: SshEndpoint, setup: OpenSshSetup, reuse: boolean): Promise<boolean> {
  if (reuse && (await masterAnswers(setup.controlPath))) return true;
  const lock = `${setup.controlPath}.lock`;
  const staleMs = ep.connectTimeoutMs + 10_000;
  for (;;) {
    try {
      mkdirSync(lock, { mode: 0o700 });
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (Date.now() - lockTime(lock) > staleMs) rmSync(lock, { recursive: true, force: true });
      else await new Promise((r) => setTimeout(r, LOCK_POLL_MS));
    }
  }
  try {
    if (reuse && (await masterAnswers(setup.controlPath))) return true;
    // A socket that does not answer belongs to a dead or wedged master: take its place.
    removeSocket(setup.controlPath);
    const r = await runSsh(masterArgs(ep, setup), ep.connectTimeoutMs + 5000);
    if (r.code === 0) return false;
    const target = describeEndpoint(ep);
    if (r.timedOut)
      throw new ConnectError(ep.name, target, `timed out after ${ep.connectTimeoutMs / 1000}s`, 'timeout');
    const f = sshFailure(r.stderr, ep);
    if (f.hostKey)
      throw new HostKeyError(ep.name, hostToken(ep.host, ep.port), f.hostKey, offeredKey(r.stderr), [], ep.knownHosts);
    throw new ConnectError(ep.name, target, f.reason, f.kind);
  } finally {
    rmSync(lock, { recursive: true, force: true });
  }
}

function lockTime(path: string): number {
  try {
    return statSync(path).mtimeMs;
  } catch {
    return Date.now();
  }
}
