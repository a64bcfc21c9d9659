import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** An nginx-like master: two workers; on HUP two new ones, the old ones killed (or, stuck, left running). */
export function fakeMaster(dir: string, stuck: boolean): { pid: number; pidFile: string; stop(): void } {
  const script = [
    'spawn() { sleep 60 & a=$!; sleep 60 & b=$!; }',
    `trap 'o="$a $b"; spawn; ${stuck ? ':' : 'kill $o'}' HUP`,
    "trap 'kill $a $b; exit 0' TERM",
    'spawn',
    'while :; do wait; done',
  ].join('\n');
  const child = spawn('sh', ['-c', script], { stdio: 'ignore' });
  const pidFile = join(dir, `nginx ${stuck ? 'stuck' : 'ok'}.pid`);
  writeFileSync(pidFile, `${child.pid}\n`);
  return { pid: child.pid!, pidFile, stop: () => void child.kill('SIGTERM') };
}
