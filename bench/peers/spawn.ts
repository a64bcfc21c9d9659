import { spawn } from 'node:child_process';

export interface Exit {
  status: number | null;
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to its end without blocking the event loop: the latency proxies live in this process, so a
 * spawnSync of anything that goes through them would wait forever.
 */
export function spawnAsync(argv: string[], env: NodeJS.ProcessEnv = process.env, cwd?: string): Promise<Exit> {
  const c = spawn(argv[0]!, argv.slice(1), { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve, reject) => {
    c.on('error', reject);
    c.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** As spawnAsync, and a non-zero exit is an error naming the command and its stderr's tail. */
export async function mustRun(argv: string[], what: string, env?: NodeJS.ProcessEnv): Promise<Exit> {
  const r = await spawnAsync(argv, env);
  if (r.status !== 0) throw new Error(`bench:peers: ${what} exited ${r.status}: ${r.stderr.slice(-600)}`);
  return r;
}
