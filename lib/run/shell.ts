/**
 * Fabric's open_shell: an interactive login shell on the host, on a pty the size of the local terminal,
 * with raw keystrokes forwarded (Ctrl-C goes to the remote program) and the size kept in step.
 */
import { UsageError } from '../errors.js';
import type { ExecResult, Transport } from '../transport/types.js';

export interface ShellIO {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WriteStream;
  term: string;
}

const processIO = (): ShellIO => ({ stdin: process.stdin, stdout: process.stdout, term: process.env.TERM || 'xterm' });

export async function openShell(host: string, t: Transport, io: ShellIO = processIO()): Promise<ExecResult> {
  if (!t.shell) {
    throw new UsageError(
      `--shell: ${host} is reached through the ${t.kind} transport, which has no interactive shell`,
      'open the shell over ssh',
    );
  }
  const size = (): [number, number] => [io.stdout.rows || 24, io.stdout.columns || 80];
  const [rows, cols] = size();
  const session = await t.shell({ rows, cols, term: io.term, onData: (d) => void io.stdout.write(d) });
  const onKeys = (d: Buffer): void => session.write(d);
  const onResize = (): void => session.resize(...size());
  const raw = io.stdin.isTTY === true;
  if (raw) io.stdin.setRawMode(true);
  io.stdin.on('data', onKeys);
  io.stdin.resume();
  io.stdout.on('resize', onResize);
  try {
    return await session.done;
  } finally {
    io.stdin.off('data', onKeys);
    io.stdout.off('resize', onResize);
    if (raw) io.stdin.setRawMode(false);
    io.stdin.pause();
  }
}
