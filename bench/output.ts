/**
 * Output benchmark: peak RSS and wall time of fab for hostile output on one lab host, next to raw
 * OpenSSH moving the same bytes (ssh host cmd > /dev/null), in one run:
 *   - 1 GB of 100-byte lines with --hide stdout (goal: fab's peak RSS under 150 MB);
 *   - one 40 MB line without a newline, shown (goal: linear time; the line is shown cut at 1 MiB).
 * Run as root (the lab needs namespaces): npm run bench:output [-- --gb 1 --line-mb 40]
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { argOf } from './args.js';

const gb = Number(argOf('gb', '1'));
const lineMb = Number(argOf('line-mb', '40'));
const root = repoRoot();
const fab = join(root, 'bin', 'fab.js');
const labDir = labDir_('lab-bench');

/** Peak RSS (MB) and wall time (s) of a command, from GNU time; throws if it fails. */
function measure(args: string[], env: NodeJS.ProcessEnv): { rssMb: number; s: number; stdoutBytes: number } {
  const r = spawnSync('/usr/bin/time', ['-f', '%M %e', ...args], { env, cwd: root, maxBuffer: 64 * 1024 * 1024 });
  const err = String(r.stderr).trim().split('\n');
  if (r.status !== 0) throw new Error(`${args.join(' ')} exited ${r.status}: ${err.slice(-5).join('\n')}`);
  const [kb, s] = err.at(-1)!.split(' ').map(Number);
  return { rssMb: kb! / 1024, s: s!, stdoutBytes: r.stdout.length };
}

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web: 1 });
const results: Record<string, unknown> = {};
try {
  const env = { ...process.env, FAB_LAB_DIR: labDir, NO_COLOR: '1' };
  const ssh = (cmd: string) => ['ssh', '-F', lab.state.sshConfig, '-o', 'BatchMode=yes', 'web1', `${cmd} > /dev/null`];
  const lines = `head -c ${gb * 1e9} /dev/zero | tr '\\0' x | fold -w 100`;
  const long = `head -c ${lineMb * 1e6} /dev/zero | tr '\\0' y`;
  const cases = {
    lines: { fab: [process.execPath, fab, 'lab', '-H', 'web1', '--hide', 'stdout', '--', lines], ssh: ssh(lines) },
    longLine: { fab: [process.execPath, fab, 'lab', '-H', 'web1', '--', long], ssh: ssh(long) },
  };
  for (const [name, c] of Object.entries(cases)) {
    const f = measure(c.fab, env);
    const s = measure(c.ssh, env);
    results[name] = { fab: f, openssh: s, ratio: f.s / s.s };
    console.log(
      `${name}: fab ${f.s.toFixed(1)} s, peak RSS ${f.rssMb.toFixed(0)} MB, ${f.stdoutBytes} bytes printed; ` +
        `ssh > /dev/null ${s.s.toFixed(1)} s (${(f.s / s.s).toFixed(1)}x)`,
    );
  }
} finally {
  await lab.remove();
}
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'output.json'),
  `${JSON.stringify({ date: new Date().toISOString(), gb, lineMb, results }, null, 2)}\n`,
);
