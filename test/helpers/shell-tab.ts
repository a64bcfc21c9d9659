import { spawn } from 'node:child_process';

/**
 * Types each line plus Tab and Z into an interactive shell on a pty (util-linux `script`); returns each
 * line as completed: Ctrl-A and `echo BUF: ` turn the edited line into output. A function in `lines`
 * runs between two Tabs (e.g. to edit a fabfile).
 */
export async function typeWithTab(
  opts: { cwd: string; env: NodeJS.ProcessEnv; budgetMs: number },
  shell: string,
  setup: string,
  lines: readonly (string | (() => void))[],
): Promise<string[]> {
  const child = spawn('script', ['-qfec', shell, '/dev/null'], {
    cwd: opts.cwd,
    env: opts.env,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  let out = '';
  const waiters: { re: RegExp; resolve: (m: RegExpMatchArray) => void; reject: (e: Error) => void }[] = [];
  const check = () => {
    const w = waiters[0];
    const m = w && out.match(w.re);
    if (w && m) {
      waiters.shift();
      out = out.slice(m.index! + m[0].length);
      w.resolve(m);
    }
  };
  child.stdout.on('data', (d: Buffer) => ((out += d.toString()), check()));
  const waitFor = (re: RegExp) =>
    new Promise<RegExpMatchArray>((resolve, reject) => (waiters.push({ re, resolve, reject }), check()));
  // A shell that hangs or exits fails the test with what it printed, not with a bare timeout.
  child.on('close', () =>
    waiters
      .splice(0)
      .forEach((w) =>
        w.reject(new Error(`${shell} ended before ${w.re}; it printed: ${JSON.stringify(out.slice(-2000))}`)),
      ),
  );
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.budgetMs - 5_000);
  try {
    child.stdin.write(`${setup}; echo READY''\r`);
    await waitFor(/READY\r?\n/);
    const got: string[] = [];
    for (const line of lines) {
      if (typeof line === 'function') {
        line();
        continue;
      }
      // Z after the Tab shows whether the completion ended the word (a space) or not (`deploy:mode=`).
      child.stdin.write(`${line}\tZ`);
      child.stdin.write('\x01');
      child.stdin.write("echo 'BUF:'\r");
      got.push((await waitFor(/(?:^|[\r\n])BUF: ?([^\r\n]*)\r?\n/))[1]!);
    }
    child.stdin.write('exit\r');
    return got;
  } finally {
    clearTimeout(timer);
    child.stdin.end();
  }
}
