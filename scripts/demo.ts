/**
 * `npm run demo`: start the embedded lab, run real fab jobs against it, stop the lab.
 * Needs root (the lab uses namespaces); `npm run predemo` installs what is missing.
 */
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { startLab } from '../test/lab/lab.js';
import { repoRoot } from '../test/lab/repo.js';

const root = repoRoot();
const labDir = join(root, '.fab', 'lab');

function fab(args: string[]): number {
  console.log(`\n$ fab ${args.join(' ')}`);
  const r = spawnSync(process.execPath, [join(root, 'bin', 'fab.js'), ...args], { cwd: root, stdio: 'inherit', env: { ...process.env, FAB_LAB_DIR: labDir } });
  return r.status ?? 1;
}

const lab = await startLab({ dir: labDir, net: 11, web: 3, jump: true });
console.log(`lab up: ${Object.keys(lab.state.hosts).join(', ')} (ssh -F ${lab.state.sshConfig} web1)`);
let code = 0;
try {
  code ||= fab(['--list']);
  code ||= fab(['lab', '-R', 'web', 'info']);
  code ||= fab(['lab', '-R', 'web', '-P', '--', 'cat /etc/hostname; uptime']);
  code ||= fab(['lab', '-H', 'private1', '--', 'echo reached $(hostname) through bastion']);
} finally {
  await lab.stop();
  console.log('\nlab stopped');
}
process.exit(code);
