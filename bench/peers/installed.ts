/** Are the peers installed, and which versions: the bench stops with the install command when one is missing. */
import { spawnSync } from 'node:child_process';
import { FABRIC2_PYTHON } from './fabric2.js';

export const INSTALL_HINT =
  'install the peers with: npm run bench:setup (as root: apt-get install -y python3-fabric ansible-core)';

const out = (argv: string[]) => {
  const r = spawnSync(argv[0]!, argv.slice(1), { encoding: 'utf8' });
  return r.status === 0 ? `${r.stdout}${r.stderr}`.trim() : undefined;
};

/** Versions of every tool compared, or the list of what is missing. */
export function peerVersions(): { versions: Record<string, string>; missing: string[] } {
  const probes: Record<string, string[]> = {
    'Fabric 2': [
      FABRIC2_PYTHON,
      '-c',
      'import fabric, paramiko; print(fabric.__version__, "paramiko", paramiko.__version__)',
    ],
    ansible: ['ansible', '--version'],
    'ansible-playbook': ['ansible-playbook', '--version'],
    OpenSSH: ['ssh', '-V'],
    node: [process.execPath, '--version'],
  };
  const versions: Record<string, string> = {};
  const missing: string[] = [];
  for (const [name, argv] of Object.entries(probes)) {
    const v = out(argv);
    if (v === undefined) missing.push(`${name} (${argv.join(' ')} failed)`);
    else versions[name] = v.split('\n')[0]!;
  }
  return { versions, missing };
}
