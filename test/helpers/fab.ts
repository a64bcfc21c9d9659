import { spawn } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { FabEvent } from '../../lib/report/events.js';
import { testLabDir } from '../lab/shared.js';

export const REPO = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = `${REPO}test/fixtures/fabfiles`;

export interface FabRun {
  code: number | null;
  stdout: string;
  stderr: string;
  ms: number;
  /** Parsed NDJSON when --json was given. */
  events: (FabEvent & { time: string })[];
}

/** Runs the real `fab` command (bin/fab.js, built dist/) against the shared test lab. */
export function fab(
  args: string[],
  opts: {
    env?: Record<string, string | undefined>;
    cwd?: string;
    onStdout?: (s: string, kill: (sig: NodeJS.Signals) => void) => void;
  } = {},
): Promise<FabRun> {
  const started = Date.now();
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    FAB_LAB_DIR: testLabDir(),
    NO_COLOR: '1',
    FAB_SUDO_PASSWORD: undefined,
    SSH_AUTH_SOCK: undefined,
    ...opts.env,
  };
  for (const k of Object.keys(env)) if (env[k] === undefined) delete env[k];
  const child = spawn(process.execPath, [`${REPO}bin/fab.js`, ...args], {
    cwd: opts.cwd ?? REPO,
    env,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => {
    stdout += d.toString();
    opts.onStdout?.(stdout, (sig) => child.kill(sig));
  });
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => {
    child.on('close', (code) => {
      const events = args.includes('--json')
        ? stdout
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as FabRun['events'][number])
        : [];
      resolve({ code, stdout, stderr, ms: Date.now() - started, events });
    });
  });
}

/** `fab -f test/fixtures/fabfiles lab ...` */
export const fabLab = (args: string[], opts?: Parameters<typeof fab>[1]) => fab(['-f', FIXTURES, 'lab', ...args], opts);

/** An `onStdout` for fab's options: SIGINT `times` times once stdout so far passes `when`, then `then()`. */
export function sigintWhen(when: (stdout: string) => boolean, times: number, then?: () => void) {
  let sent = false;
  return {
    sent: () => sent,
    onStdout: (out: string, kill: (sig: NodeJS.Signals) => void) => {
      if (sent || !when(out)) return;
      sent = true;
      for (let i = 0; i < times; i++) kill('SIGINT');
      then?.();
    },
  };
}

/** sigintWhen the first progress event shows (--json). */
export const sigintAtFirstProgress = (times: number, then?: () => void) =>
  sigintWhen((out) => out.includes('"type":"transfer.progress"'), times, then);

/**
 * The hosts' temp folders (`/tmp/<prefix>*`) made since this call: the lab hosts' /tmp is this machine's, shared
 * with other labs, whose folders come and go; one this run leaked stays.
 */
export function newRemoteTemps(prefix: string): () => string[] {
  const list = () => readdirSync('/tmp').filter((n) => n.startsWith(prefix));
  const before = new Set(list());
  return () => list().filter((n) => !before.has(n));
}
