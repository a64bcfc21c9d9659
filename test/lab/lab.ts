// The test lab: real OpenSSH servers acting as separate hosts on this machine. See README.md.
import { spawn } from 'node:child_process';
import { closeSync, mkdirSync, openSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import {
  LAB_SUDO_USER,
  LAB_USER,
  account,
  checkTraversable,
  ensureSudoPassword,
  knownHosts,
  labJsonPath,
  readState,
  requireRoot,
  sshConfig,
  writeState,
} from './files.js';
import { APP_PORT } from './app.js';
import {
  ensureKey,
  fingerprint,
  hostDir,
  hostRoot,
  logTail,
  prepareHost,
  readSpec,
  spawnSshd,
  sshdConfigPath,
  waitReady,
} from './host.js';
import { createJumpNet, destroyJumpNet } from './netns.js';
import {
  findLabProcesses,
  isAlive,
  killPids,
  procCmdline,
  procComm,
  procStartTime,
  signal,
  waitInNamespaces,
} from './proc.js';
import { ensureLabFolder, labBase, removeEmptyLabFolders } from './repo.js';
import { dbInfo, prepareDbTier, startDbTier } from './db.js';
import { hostSpecs } from './specs.js';
import type { LabHost, LabService, LabState, SpawnInHostOptions, StartLabOptions } from './types.js';
import { addGuest, killGuest, removeGuest } from './guest.js';
import {
  hostServiceKinds,
  prepareWebTier,
  spawnHostServices,
  startWebTier,
  waitHostServices,
  webTierInfo,
} from './webtier.js';

export type {
  LabHost,
  LabLb,
  LabService,
  LabState,
  StartLabOptions,
  ExtraHostOptions,
  SpawnInHostOptions,
} from './types.js';

/** Is pid the (starting or running) sshd of this lab host? Guards every kill of a recorded pid. */
function isOurSshd(dir: string, name: string, pid: number): boolean {
  return pid > 0 && isAlive(pid) && procCmdline(pid).includes(sshdConfigPath(dir, name));
}

export class Lab {
  constructor(public state: LabState) {}

  get dir(): string {
    return this.state.dir;
  }

  host(name: string): LabHost {
    const h = this.state.hosts[name];
    if (!h) throw new Error(`lab: no host ${name} in ${this.dir} (hosts: ${Object.keys(this.state.hosts).join(', ')})`);
    return h;
  }

  /** Is the host's sshd process running (it may be paused)? */
  isRunning(name: string): boolean {
    return isOurSshd(this.dir, name, this.host(name).pid);
  }

  /** Re-read lab.json so that several Lab objects (e.g. vitest globalSetup + a test file) agree. */
  private refresh(): void {
    const s = readState(this.dir);
    if (s) this.state = s;
  }

  private servicePids(host?: string): number[] {
    return Object.values(this.state.services ?? {})
      .filter((s) => (host === undefined || s.host === host) && isAlive(s.pid, s.startTime))
      .map((s) => s.pid);
  }

  /** Host down: kill its sshd, its sessions and its services (everything in its namespaces). */
  async stopHost(name: string): Promise<void> {
    this.refresh();
    const h = this.host(name);
    const pids = [...(findLabProcesses(this.dir).get(name) ?? []), ...this.servicePids(name)];
    if (isOurSshd(this.dir, name, h.pid)) pids.push(h.pid);
    // Like a machine that dies: its connections drop before any command on it can report an exit status
    // (a SIGTERM to the session's shell first would race sshd's close). So SIGKILL every sshd first.
    for (const p of pids) if (procComm(p) === 'sshd') signal(p, 'SIGKILL');
    const left = await killPids(pids);
    if (left.length) throw new Error(`lab: could not stop host ${name}: pids ${left.join(' ')} still alive`);
    h.pid = 0;
    for (const [k, s] of Object.entries(this.state.services ?? {}))
      if (s.host === name) delete this.state.services?.[k];
    delete h.services;
    writeState(this.state);
  }

  /**
   * Start a stopped host again: same host key, same address, and (lb labs) its web-tier service, like a
   * reboot: the app from whatever `current` points to, nginx/HAProxy from their configs. No-op if it is running.
   */
  async startHost(name: string, timeoutMs = 15_000): Promise<void> {
    this.refresh();
    const h = this.host(name);
    if (this.isRunning(name)) return;
    const spec = readSpec(this.dir, name);
    const pid = spawnSshd(this.dir, spec);
    h.pid = pid;
    writeState(this.state);
    try {
      await waitReady(this.dir, spec, pid, timeoutMs);
    } catch (e) {
      await killPids([pid]);
      h.pid = 0;
      writeState(this.state);
      throw e;
    }
    if (hostServiceKinds(this.state, name).length)
      await waitHostServices(this.state, await spawnHostServices(this, name), timeoutMs, true);
  }

  private signalSshd(name: string, sig: NodeJS.Signals): void {
    const h = this.host(name);
    if (!isOurSshd(this.dir, name, h.pid)) throw new Error(`lab: host ${name} is not running`);
    process.kill(h.pid, sig);
  }

  /** SIGSTOP the host's sshd: TCP connects are still accepted but no banner comes (a hung sshd). */
  async pauseHost(name: string): Promise<void> {
    this.signalSshd(name, 'SIGSTOP');
  }
  async resumeHost(name: string): Promise<void> {
    this.signalSshd(name, 'SIGCONT');
  }

  /**
   * Start a long-lived process inside the host's mount + UTS (+ network) namespaces, detached, with
   * stdout/stderr to a log file. Recorded in lab.json `services`; stopHost/stop kill it.
   */
  async spawnInHost(name: string, argv: string[], opts: SpawnInHostOptions = {}): Promise<LabService> {
    this.refresh();
    const h = this.host(name);
    if (!argv.length) throw new Error('lab: spawnInHost needs a command');
    if (!isOurSshd(this.dir, name, h.pid)) throw new Error(`lab: host ${name} is not running`);
    const spec = readSpec(this.dir, name);
    const services = (this.state.services ??= {});
    let svcName = opts.name ?? `${name}-${basename(argv[0]!)}`;
    if (!opts.name) for (let i = 2; services[svcName]; i++) svcName = `${name}-${basename(argv[0]!)}-${i}`;
    const prev = services[svcName];
    if (prev && isAlive(prev.pid, prev.startTime))
      throw new Error(`lab: service ${svcName} is already running (pid ${prev.pid})`);
    const log = opts.log ?? `${hostDir(this.dir, name)}/services/${svcName}.log`;
    mkdirSync(dirname(log), { recursive: true });
    // nsenter --wd would resolve the path in OUR mount namespace, so cd inside the host instead
    const cmd = opts.cwd ? ['/bin/sh', '-c', 'cd "$1" && shift && exec "$@"', 'sh', opts.cwd, ...argv] : argv;
    const args = [
      '--target',
      String(h.pid),
      '--mount',
      '--uts',
      ...((opts.net ?? !!spec.netns) ? ['--net'] : []),
      '--',
      ...cmd,
    ];
    const fd = openSync(log, 'a');
    let pid: number | undefined;
    try {
      const child = spawn('nsenter', args, { detached: true, stdio: ['ignore', fd, fd], env: opts.env ?? process.env });
      child.on('error', () => {
        /* pid check below */
      });
      child.unref();
      pid = child.pid;
    } finally {
      closeSync(fd);
    }
    const startTime = pid ? procStartTime(pid) : undefined;
    if (!pid || startTime === undefined) throw new Error(`lab: could not start ${argv.join(' ')} in ${name}`);
    // nsenter calls setns() after fork: until then the child is still in our namespaces. Return only once
    // it is inside the host's, so callers may read /proc/<pid>/ns or signal it as the host's process.
    const kinds = ['mnt', 'uts', ...(args.includes('--net') ? ['net'] : [])];
    await waitInNamespaces(pid, h.pid, kinds, 5000, () => logTail(log));
    const svc: LabService = { name: svcName, host: name, pid, startTime, argv: [...argv], log };
    services[svcName] = svc;
    (h.services ??= {})[svcName] = pid;
    writeState(this.state);
    return svc;
  }

  async stopService(svcName: string): Promise<void> {
    this.refresh();
    const s = this.state.services?.[svcName];
    if (!s) throw new Error(`lab: no service ${svcName}`);
    if (isAlive(s.pid, s.startTime)) await killPids([s.pid]);
    delete this.state.services?.[svcName];
    const h = this.state.hosts[s.host];
    if (h?.services) delete h.services[svcName];
    writeState(this.state);
  }

  /** Stop every host and service, delete the lab's network namespaces/links and lab.json. */
  async stop(): Promise<void> {
    this.refresh();
    await stopLabProcesses(this.dir, this.state);
    if (this.state.guest) await removeGuest(this.state.guest);
    if (this.state.netns.length) await destroyJumpNet(this.state.net);
    rmSync(labJsonPath(this.dir), { force: true });
    for (const h of Object.values(this.state.hosts)) {
      h.pid = 0;
      delete h.services;
    }
    this.state.services = {};
  }

  /** stop(), then delete the lab dir (keys, host files, datadirs) and this clone's folder once it is empty. */
  async remove(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
    removeEmptyLabFolders(this.dir);
  }
}

/** Kill a lab's processes: recorded pids that are still ours, plus anything inside its host namespaces. */
async function stopLabProcesses(dir: string, state: LabState | undefined): Promise<void> {
  if (state?.guest) await killGuest(state.guest);
  const pids: number[] = [...findLabProcesses(dir).values()].flat();
  for (const h of Object.values(state?.hosts ?? {})) if (isOurSshd(dir, h.name, h.pid)) pids.push(h.pid);
  for (const s of Object.values(state?.services ?? {})) if (isAlive(s.pid, s.startTime)) pids.push(s.pid);
  const left = await killPids(pids);
  if (left.length) throw new Error(`lab: could not stop pids ${left.join(' ')} of ${dir}`);
}

/** Start a lab in opts.dir, after cleaning up a stale lab in the same dir (and stale netns of the same net). */
export async function startLab(opts: StartLabOptions): Promise<Lab> {
  requireRoot();
  const dir = resolve(opts.dir);
  const net = opts.net ?? 11;
  if (!Number.isInteger(net) || net < 1 || net > 254) throw new Error(`lab: net must be 1..254, got ${net}`);
  const web = opts.web ?? 3;
  const specs = hostSpecs({
    net,
    web,
    extra: opts.extraHosts ?? [],
    jump: !!opts.jump,
    jump2: !!opts.jump2,
    lb: !!opts.lb,
    db: !!opts.db,
  });
  const user = account(LAB_USER);
  account(LAB_SUDO_USER);

  if (dir.startsWith(`${labBase()}/`)) ensureLabFolder(dir);
  else mkdirSync(dir, { recursive: true, mode: 0o755 });
  checkTraversable(dir);
  await stopLabProcesses(dir, readState(dir));
  const old = readState(dir);
  if (old && old.net !== net && old.netns.length) await destroyJumpNet(old.net);
  await destroyJumpNet(net);
  rmSync(labJsonPath(dir), { force: true });

  for (const d of ['ssh', 'client', 'hosts']) mkdirSync(`${dir}/${d}`, { recursive: true, mode: 0o755 });
  const clientKey = `${dir}/client/id_ed25519`;
  const [clientPub, sudoPassword] = await Promise.all([ensureKey(clientKey, 'fabts-lab-client'), ensureSudoPassword()]);
  writeFileSync(`${dir}/ssh/authorized_keys`, clientPub + '\n', { mode: 0o644 });
  const pubs = await Promise.all(specs.map((s) => prepareHost(dir, s, specs, user)));

  const state: LabState = {
    dir,
    net,
    createdAt: new Date().toISOString(),
    hosts: {},
    user: LAB_USER,
    sudoUser: LAB_SUDO_USER,
    sudoPassword,
    clientKey,
    knownHosts: `${dir}/known_hosts`,
    sshConfig: `${dir}/ssh_config`,
    netns: [],
    services: {},
  };
  specs.forEach((s, i) => {
    state.hosts[s.name] = {
      name: s.name,
      address: s.address,
      port: s.port,
      roles: s.roles,
      pid: 0,
      hostKeyFingerprint: fingerprint(pubs[i]!),
      root: hostRoot(dir, s.name),
      ...(s.jump ? { jump: s.jump } : {}),
      ...(s.lbKind ? { lbKind: s.lbKind } : {}),
      ...(opts.lb && s.roles.includes('web') ? { appUrl: `http://${s.address}:${APP_PORT}/` } : {}),
    };
  });
  if (opts.lb) {
    state.lb = webTierInfo(specs, LAB_USER, opts.lbBackends);
    prepareWebTier(state, state.lb, user);
  }
  if (opts.db) {
    state.db = dbInfo(specs);
    await prepareDbTier(state, state.db);
  }
  writeFileSync(
    state.knownHosts,
    knownHosts(specs.map((s, i) => ({ address: s.address, port: s.port, pubKey: pubs[i]! }))),
  );
  writeFileSync(state.sshConfig, sshConfig(state));

  const lab = new Lab(state);
  try {
    if (opts.jump || opts.jump2) {
      const j = await createJumpNet(net, !!opts.jump2);
      state.netns = [j.bastionNs, j.privateNs, ...(opts.jump2 ? [j.private2Ns] : [])];
    }
    for (const s of specs) state.hosts[s.name]!.pid = spawnSshd(dir, s);
    writeState(state); // pids on record before waiting, so a crash here can still be cleaned up
    const timeout = opts.readyTimeoutMs ?? 15_000;
    const results = await Promise.allSettled(specs.map((s) => waitReady(dir, s, state.hosts[s.name]!.pid, timeout)));
    const failed = results.flatMap((r) =>
      r.status === 'rejected' ? [String((r.reason as Error).message ?? r.reason)] : [],
    );
    if (failed.length)
      throw new Error(
        failed.slice(0, 3).join('\n') + (failed.length > 3 ? `\n(and ${failed.length - 3} more hosts failed)` : ''),
      );
    if (state.lb) await startWebTier(lab, timeout);
    if (state.db) await startDbTier(lab, timeout);
    if (opts.guest) await addGuest(state);
  } catch (e) {
    await lab.stop().catch(() => {
      /* report the original error */
    });
    throw e;
  }
  return lab;
}

/** Attach to a running lab from its lab.json. */
export async function loadLab(dir: string): Promise<Lab> {
  const state = readState(resolve(dir));
  if (!state) throw new Error(`lab: no lab.json in ${resolve(dir)} (start one with: npm run lab -- up --dir ${dir})`);
  return new Lab(state);
}

export { hostDir, hostRoot };
