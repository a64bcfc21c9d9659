/** Helpers of the fab agent's lab tests (agent*.test.ts): a private runtime dir, sshd's login count, the agent's pid. */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach } from 'vitest';
import { agentStatus } from '../../lib/transport/agent/start.js';
import { fab, type FabRun } from '../helpers/fab.js';
import { testLab } from './shared.js';

/** Each test gets its own XDG_RUNTIME_DIR, so its agent is its own. */
export const runtimeDir = (): string => mkdtempSync(join(tmpdir(), 'fab-agent-'));

/** A runtime dir per call, each one's agent stopped (`--persist-stop`) after the test that made it. */
export function useRuntimeDirs(): () => string {
  const dirs: string[] = [];
  afterEach(async () => {
    for (const XDG_RUNTIME_DIR of dirs.splice(0)) await fab(['--persist-stop'], { env: { XDG_RUNTIME_DIR } });
  });
  return () => {
    const d = runtimeDir();
    dirs.push(d);
    return d;
  };
}
export const controlDir = (xdg: string): string => join(xdg, 'fabts');
export const agentSock = (xdg: string): string => join(controlDir(xdg), 'p-agent.sock');

/** Logins sshd accepted on `host` (its own log): a warm run adds none. */
export const accepted = (host: string): number =>
  (
    readFileSync(join(testLab().hosts[host]!.root, '..', 'sshd.log'), 'utf8').match(/Accepted (publickey|password)/g) ??
    []
  ).length;

export const status = (xdg: string) => agentStatus(controlDir(xdg));

export const alive = (pid: number): boolean => {
  try {
    return !/^State:\s+Z/m.test(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return false;
  }
};

export async function until(what: () => boolean | Promise<boolean>, ms: number): Promise<boolean> {
  for (const end = Date.now() + ms; Date.now() < end;) {
    if (await what()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return what();
}

export const connectTarget = (r: FabRun, host: string): string | undefined => {
  const e = r.events.find((x) => x.type === 'connect' && x.host === host);
  return e?.type === 'connect' ? e.target : undefined;
};

/** What a run printed and how its commands ended, without timings: equal for a direct and an agent run. */
export const outcome = (r: FabRun) => ({
  code: r.code,
  output: r.events
    .filter((e) => e.type === 'output')
    .map((e) => e.type === 'output' && `${e.host} ${e.stream}:${e.line}`)
    .sort(),
  ends: r.events
    .filter((e) => e.type === 'command.end')
    .map((e) => e.type === 'command.end' && `${e.host} ${e.code}`)
    .sort(),
});
