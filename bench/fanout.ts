/**
 * Fan-out benchmark: the same one-line command on N lab hosts, fab vs raw OpenSSH
 * (xargs -P over ssh with curve25519), median of several runs; and fab's start-up time.
 * Run as root (the lab needs namespaces): npm run bench:fanout [-- --runs 5 --sizes 10,50]
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir as labDir_, repoRoot } from '../test/lab/repo.js';
import { fmt, median, timeCommand } from './measure.js';
import { argOf } from './args.js';

const runs = Number(argOf('runs', '5'));
const sizes = argOf('sizes', '10,50').split(',').map(Number);
const root = repoRoot();
const fab = join(root, 'bin', 'fab.js');
const labDir = labDir_('lab-bench');

const lab = await startLab({ dir: labDir, net: LAB_NETS.bench, web: Math.max(...sizes) });
const results: Record<string, unknown> = {};
try {
  const env = { ...process.env, FAB_LAB_DIR: labDir, NO_COLOR: '1' };
  for (const n of sizes) {
    const hosts = Array.from({ length: n }, (_, i) => `web${i + 1}`);
    const fabTimes: number[] = [];
    const sshTimes: number[] = [];
    for (let r = 0; r < runs; r++) {
      sshTimes.push(
        timeCommand('sh', [
          '-c',
          `printf '%s\\n' ${hosts.join(' ')} | xargs -P ${n} -I{} ssh -F ${lab.state.sshConfig} -o KexAlgorithms=curve25519-sha256 -o BatchMode=yes {} true`,
        ]),
      );
      fabTimes.push(
        timeCommand(process.execPath, [fab, 'lab', '-H', hosts.join(','), '-P', '--hide', 'everything', '--', 'true'], {
          env,
          cwd: root,
        }),
      );
    }
    const f = median(fabTimes);
    const s = median(sshTimes);
    results[`fanout${n}`] = { hosts: n, runs, fab: f, openssh: s, ratio: f / s, fabTimes, sshTimes };
    console.log(
      `fan-out to ${n} hosts: fab ${fmt(f)}, OpenSSH xargs -P ${fmt(s)}, ratio ${(f / s).toFixed(2)}x (median of ${runs})`,
    );
  }
  const startup = (args: string[]) =>
    median(Array.from({ length: 20 }, () => timeCommand(process.execPath, args, { cwd: root })));
  for (let i = 0; i < 3; i++) timeCommand(process.execPath, [fab, '--list'], { cwd: root }); // warm the transform cache
  const list = startup([fab, '--list']);
  const version = startup([fab, '--version']);
  const bare = startup(['-e', '0']);
  results.startup = { list, version, nodeBare: bare };
  console.log(
    `start-up: fab --list ${fmt(list)}, fab --version ${fmt(version)}, node -e 0 ${fmt(bare)} (median of 20, warm)`,
  );
} finally {
  await lab.remove();
}
mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
writeFileSync(
  join(root, '.fab', 'bench', 'fanout.json'),
  `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`,
);
