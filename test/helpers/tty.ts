// Drive fab on a real pseudo-terminal (util-linux `script`) and answer its prompts when they appear,
// never after a fixed sleep: typed early, an answer lands before the terminal's echo is off.
import { spawn } from 'node:child_process';

export interface TtyRun {
  code: number | null;
  out: string;
}

/**
 * Run `line` (shell text) under `script`; each time `prompt` appears in the output, type the next answer.
 * stdin stays open until the command exits (script ends the session on EOF).
 */
export function runOnTty(
  line: string,
  opts: { env?: NodeJS.ProcessEnv; prompt?: RegExp; answers?: string[]; timeoutMs?: number } = {},
): Promise<TtyRun> {
  const answers = [...(opts.answers ?? [])];
  const child = spawn('script', ['-qfec', line, '/dev/null'], {
    env: opts.env ?? process.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  let seen = 0; // prompts answered so far
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (d: string) => {
    out += d;
    if (!opts.prompt) return;
    const count = out.match(new RegExp(opts.prompt.source, 'g'))?.length ?? 0;
    for (; seen < count && answers.length; seen++) child.stdin.write(`${answers.shift()}\n`);
  });
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => {
    out += d;
  });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 30_000);
  return new Promise((resolve) =>
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, out });
    }),
  );
}
