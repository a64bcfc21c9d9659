#!/usr/bin/env node
// The `fab` command: the only place that calls process.exit. Everything else returns an exit code.
import { readFileSync } from 'node:fs';

const argv = process.argv.slice(2);
// Fast path: answering --version must not load anything else.
if (argv[0] === '--version' || argv[0] === '-V') {
  const { version } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'));
  process.stdout.write(`fab ${version}\n`);
  process.exit(0);
}

// Shell completion runs on every Tab: load only what it needs, never main's imports.
if (argv[0] === '__complete') {
  let completeCommand;
  try {
    ({ completeCommand } = await import('../dist/fab/cli/complete-command.js'));
  } catch {
    process.exit(0);
  }
  const out = await completeCommand(argv.slice(1), process.cwd(), process.env);
  process.stdout.write(out, () => process.exit(0));
  await new Promise(() => {}); // the write callback exits: nothing below runs
}

let main, Interrupts;
try {
  ({ main } = await import('../dist/fab/cli/main.js'));
  ({ Interrupts } = await import('../dist/fab/run/interrupt.js'));
} catch (err) {
  if (err.code !== 'ERR_MODULE_NOT_FOUND') throw err;
  process.stderr.write('fab: dist/ is missing; run `npm run build` (npm ci does it) in the fabts folder\n');
  process.exit(2);
}

const interrupts = new Interrupts();
let interrupted = false;
process.on('SIGINT', () => {
  interrupted = true;
  const what = interrupts.interrupt();
  if (what === 'graceful') process.stderr.write('\nfab: interrupted; the hosts in progress finish their steps, no new host starts (Ctrl-C again to stop at once)\n');
  else if (what === 'abort') process.stderr.write('\nfab: interrupted; stopping commands and closing connections (Ctrl-C again to quit at once)\n');
  else process.exit(interrupts.exitCode ?? 130);
});
// A CI timeout (SIGTERM) or a closed terminal (SIGHUP): stop at once, but still clean up and report.
for (const sig of ['SIGTERM', 'SIGHUP']) {
  process.on(sig, () => {
    interrupted = true;
    if (interrupts.terminate(sig) === 'exit') process.exit(interrupts.exitCode);
    process.stderr.write(`\nfab: ${sig}; stopping commands and closing connections\n`);
  });
}

// `fab ... | head` closes the pipe early: that is not an error worth a stack trace.
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (err) => {
    if (err.code === 'EPIPE' || err.code === 'EIO') process.exit(interrupted ? (interrupts.exitCode ?? 130) : 0);
    throw err;
  });
}
const write = (stream) => (s) => void stream.write(s);
const code = await main(argv, {
  cwd: process.cwd(),
  env: process.env,
  stdout: write(process.stdout),
  stderr: write(process.stderr),
  stdinIsTTY: process.stdin.isTTY === true,
  stdoutIsTTY: process.stdout.isTTY === true,
  interrupts,
});
// Let stdout drain (pipes are asynchronous) before exiting.
process.stdout.write('', () => process.exit(interrupts.exitCode ?? code));
