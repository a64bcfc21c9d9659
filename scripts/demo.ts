/**
 * `npm run demo`: start the embedded lab (nginx and HAProxy in front of 3 web hosts running a small
 * app), build version 2 of the app as a tarball, and roll it out host by host (drain, deploy, health
 * gates, undrain) while a load loop sends requests through both load balancers; print the report and
 * the load loop's counts, then stop the lab. Needs root (the lab uses namespaces).
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildAppTarball } from '../test/lab/app.js';
import { startLab } from '../test/lab/lab.js';
import { startLoad } from '../test/lab/load.js';
import { LAB_NETS, defaultLabDir, linkCliLab, repoRoot } from '../test/lab/repo.js';

const root = repoRoot();
const labDir = defaultLabDir();

// Asynchronous on purpose: the load loop runs in this process and must keep sending meanwhile.
function fab(args: string[]): Promise<number> {
  console.log(`\n$ fab ${args.join(' ')}`);
  const child = spawn(process.execPath, [join(root, 'bin', 'fab.js'), ...args], {
    cwd: root,
    stdio: 'inherit',
    env: { ...process.env, FAB_LAB_DIR: labDir },
  });
  return new Promise((resolve) => child.on('close', (c) => resolve(c ?? 1)));
}

const lab = await startLab({ dir: labDir, net: LAB_NETS.cli, web: 3, lb: true });
linkCliLab(root);
console.log(
  `lab up: ${Object.keys(lab.state.hosts).join(', ')}; nginx ${lab.state.lb!.nginx.url}, HAProxy ${lab.state.lb!.haproxy.url}`,
);
let code = 0;
try {
  code ||= await fab(['--list']);
  code ||= await fab(['lab', '-R', 'web', '-P', '--hide', 'running', 'info']);
  const artifact = await buildAppTarball(join(root, '.fab', 'demo'), 'v2');
  console.log(`\nbuilt ${artifact}; sending requests through both load balancers during the deploy`);
  const loads = [
    startLoad(lab.state.lb!.nginx.url, { concurrency: 4 }),
    startLoad(lab.state.lb!.haproxy.url, { concurrency: 4 }),
  ];
  code ||= await fab(['lab', '--hide', 'running,stdout,stderr', 'rollingDeploy', '--artifact', artifact]);
  const counts = await Promise.all(loads.map((l) => l.stop()));
  console.log('\nload loop during the rolling deploy:');
  counts.forEach((c, i) => {
    const per = Object.entries(c.byBackend)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ');
    console.log(
      `  ${i === 0 ? 'nginx  ' : 'HAProxy'}  ${c.total} requests, ${c.failed} failed (${per})${c.errors.length ? `; first errors: ${c.errors.slice(0, 3).join(', ')}` : ''}`,
    );
  });
  const failed = counts.reduce((n, c) => n + c.failed, 0);
  console.log(`  ${failed} failed requests in all`);
  if (failed) code ||= 1;
  code ||= await fab(['lab', '--hide', 'running,status', 'lbStatus']);
} finally {
  await lab.stop();
  console.log('\nlab stopped');
}
process.exit(code);
