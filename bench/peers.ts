/**
 * fab beside the tools its users would pick instead, on the same lab hosts, in one run, the cases alternating:
 * raw OpenSSH (fresh, and over a warm ControlMaster), fab (bin/fab.js; npx fab once), Fabric 2 (python3-fabric)
 * and Ansible (ansible-core). Jobs: `true` on 10 and 50 hosts at concurrency 10 and on 50 unbounded, a 5-step
 * task on 20 hosts, a sudo command on 10 hosts, a line change on 10 hosts; with --latency-ms (default 50, 0: off)
 * the 10-host `true`, sudo and edit again through a latency proxy per host. Wall time, ratio to OpenSSH fresh,
 * client CPU. Run as root: npm run bench:peers [-- --runs 5] [--only true10,true50,true50u,steps,sudo,edit,latency];
 * `-- --check`: every case once on a 2-host lab.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir, repoRoot } from '../test/lab/repo.js';
import { startLatencyProxies, type ProxySet } from './latency-proxy.js';
import { argOf } from './args.js';
import { closeMasters } from './peers/ansible.js';
import { peerCases, preparePeers, type CaseOptions, type PeerSetup } from './peers/cases.js';
import { peerLab } from './peers/hosts.js';
import { INSTALL_HINT, peerVersions } from './peers/installed.js';
import { SUDO_PASSWORD_ENV, type JobKind } from './peers/jobs.js';
import { compare, table, type Row } from './peers/timing.js';
import { countTurns, turnsReport } from './peers/turns.js';

const check = process.argv.includes('--check');
const runs = check ? 1 : Number(argOf('runs', '5'));
const latencyMs = Number(argOf('latency-ms', '50'));
const { versions, missing } = peerVersions();
if (missing.length) {
  console.error(`bench:peers: missing ${missing.join(', ')}; ${INSTALL_HINT}`);
  process.exit(2);
}
const n = (hosts: number) => (check ? 2 : hosts);
const root = repoRoot();
const work = mkdtempSync(join(tmpdir(), 'fab-peers-'));
const lab = await startLab({ dir: labDir('lab-peers'), net: LAB_NETS.bench, web: n(50) });
const names = Array.from({ length: n(50) }, (_, i) => `web${i + 1}`);
process.env[SUDO_PASSWORD_ENV] = lab.state.sudoPassword; // children inherit it; no command line carries it
const common = { root, node: process.execPath, sudoPassword: lab.state.sudoPassword };
const direct = peerLab(lab.state, names);
const setups: PeerSetup[] = [preparePeers({ ...common, lab: direct, direct, dir: join(work, 'direct') })];
const results: Record<string, unknown> = { runs, check, versions, loadavg: [loadavg()] };
const report: string[] = [];
let proxies: ProxySet | undefined;

function save(): void {
  mkdirSync(join(root, '.fab', 'bench'), { recursive: true });
  const out = join(root, '.fab', 'bench', check ? 'peers-check' : 'peers');
  writeFileSync(`${out}.json`, `${JSON.stringify({ date: new Date().toISOString(), ...results }, null, 2)}\n`);
  writeFileSync(`${out}.md`, report.join('\n'));
}

const only = argOf('only', 'true10,true50,true50u,steps,sudo,edit,latency').split(',');

async function job(title: string, s: PeerSetup, kind: JobKind, hosts: number, conc: number, o?: CaseOptions) {
  const heading = `${title} (median of ${runs}, load average ${loadavg()[0]!.toFixed(1)} at the start)`;
  console.log(`\n${heading} ...`);
  const turns: Record<string, number[]> = {};
  const cases = peerCases(s, kind, n(hosts), n(conc), o);
  const rows: Row[] = await compare(proxies ? countTurns(cases, proxies, turns) : cases, runs, root);
  const text = `${table(title, rows)}${proxies ? `\n\nRound trips (proxy turns):\n${turnsReport(turns, n(hosts))}` : ''}`;
  console.log(text);
  report.push(`${heading}\n\n${text}\n`);
  results[title] = { rows, turns };
  save(); // after every job: a later failure keeps what was measured
}

try {
  const [d] = setups as [PeerSetup];
  const on = (key: string) => only.includes(key);
  const warm = { ansibleWarm: true };
  if (on('true10'))
    await job(`\`true\`, ${n(10)} hosts, concurrency ${n(10)}`, d, 'true', 10, 10, { npx: true, ...warm });
  if (on('true50') && !check) await job('`true`, 50 hosts, concurrency 10', d, 'true', 50, 10);
  if (on('true50u') && !check) await job('`true`, 50 hosts, unbounded', d, 'true', 50, 50);
  if (on('steps')) await job(`5-step task, ${n(20)} hosts, concurrency ${n(10)}`, d, 'steps', 20, 10);
  if (on('sudo')) await job(`sudo \`id -u\` (password), ${n(10)} hosts`, d, 'sudo', 10, 10, warm);
  if (on('edit')) await job(`line change (root), ${n(10)} hosts`, d, 'edit', 10, 10, warm);
  if (latencyMs > 0 && on('latency')) {
    const ten = names.slice(0, n(10));
    proxies = await startLatencyProxies(Object.fromEntries(ten.map((h) => [h, lab.state.hosts[h]!])), latencyMs / 2);
    const dir = join(work, 'proxied');
    mkdirSync(dir, { mode: 0o700 });
    const viaProxy = peerLab(lab.state, ten, { dir, endpoints: proxies.mapping });
    setups.push(preparePeers({ ...common, lab: viaProxy, direct: peerLab(lab.state, ten), dir }));
    const at = `${latencyMs} ms RTT`;
    await job(`\`true\`, ${n(10)} hosts, ${at}`, setups[1]!, 'true', 10, 10, { ansibleWarm: true });
    await job(`sudo \`id -u\`, ${n(10)} hosts, ${at}`, setups[1]!, 'sudo', 10, 10);
    await job(`line change, ${n(10)} hosts, ${at}`, setups[1]!, 'edit', 10, 10);
  }
} finally {
  for (const s of setups) for (const d of ['cp', 'cp-warm', 'cm']) await closeMasters(join(s.dir, d)).catch(() => {});
  await proxies?.close();
  await lab.remove();
  rmSync(work, { recursive: true, force: true });
}
(results.loadavg as number[][]).push(loadavg());
save();
console.log(`\n${check ? 'bench:peers --check: every peer ran every job correctly' : 'done'}; versions:`, versions);
