import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { cnfLines, withDefaultsFile } from '../../lib/db/client.js';

/**
 * Run a database script as fab does (inside withDefaultsFile, the login on stdin) with fake tools first on the
 * PATH. `signalWhen`: SIGTERM the script as soon as that file exists (polled every 10 ms).
 */
export function runDbScript(
  script: string,
  bin: string,
  signalWhen?: string,
): Promise<{ code: number | null; out: string }> {
  const cnf = '[client]\npassword="s3cret"\n';
  const c = spawn('sh', ['-c', withDefaultsFile(cnfLines(cnf), script)], {
    env: { ...process.env, PATH: `${bin}:${process.env.PATH}` },
  });
  c.stdin.end(cnf);
  let out = '';
  c.stdout.on('data', (d: Buffer) => (out += d.toString()));
  c.stderr.on('data', (d: Buffer) => (out += d.toString()));
  const poll = signalWhen
    ? setInterval(() => {
        if (existsSync(signalWhen)) {
          clearInterval(poll);
          c.kill('SIGTERM');
        }
      }, 10)
    : undefined;
  c.on('close', () => clearInterval(poll));
  return new Promise((res) => c.on('close', (code) => res({ code, out })));
}
