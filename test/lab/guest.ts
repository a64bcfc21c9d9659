// An optional lab host kind: a qemu guest with Debian's kernel (md, LVM, XFS), 3 sparse virtio data
// disks vdb..vdd with serials, sshd with its own host key, the lab's login user (fabts, sudo NOPASSWD).
// It joins a lab (startLab({ guest: true }), `npm run lab -- up --guest`): one more host in lab.json, the
// lab's client key, known_hosts and ssh_config, so `fab lab -H store1 ...` reaches it like any lab host.
import { spawn } from 'node:child_process';
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { knownHosts, readState, sshConfig, writeState } from './files.js';
import { ensureKey, fingerprint, logTail } from './host.js';
import { buildInitramfs, guestKernel, SHUTDOWN } from './guest-image.js';
import { isAlive, killPids, procCmdline, procStartTime, run, sleep } from './proc.js';
import { labSsh } from './ssh.js';
import type { LabGuest, LabState } from './types.js';

export const GUEST_DISKS = ['vdb', 'vdc', 'vdd'];
export const GUEST_PORT = 2222;
/**
 * ssh options for the guest: under TCG on a busy machine its sshd can take over 5 s (labSsh's default) to send
 * its banner, since every guest instruction is emulated. Measured: banner timeouts at load 19 on 2 cores.
 */
export const GUEST_SSH_ARGS = ['-o', 'ConnectTimeout=30'];

export interface GuestOptions {
  name?: string;
  diskSize?: number;
  memMiB?: number;
  bootTimeoutMs?: number;
}

/** qemu forwards this address (in the root namespace, after the lab's consecutive host addresses) to the guest's sshd. */
export const guestAddress = (net: number): string => `127.${net}.0.254`;

/** Hardware KVM only with vmx/svm and no kvm_pvm (a software hypervisor that cannot boot Debian's kernel). */
export function guestAccel(): 'kvm' | 'tcg' {
  const hw = /\b(vmx|svm)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  return hw && existsSync('/dev/kvm') && !existsSync('/sys/module/kvm_pvm') ? 'kvm' : 'tcg';
}

/** Is this recorded pid still the guest's qemu (same start time, our -name on its command line)? */
const isOurQemu = (g: LabGuest): boolean =>
  g.pid > 0 && isAlive(g.pid, g.startTime) && procCmdline(g.pid).includes(`fabts-${g.name}`);

/** Kill the guest's qemu by its recorded pid (a lab's `down`: the disks are thrown away, so no clean power-off). */
export async function killGuest(g: LabGuest): Promise<void> {
  if (!isOurQemu(g)) return;
  const left = await killPids([g.pid]);
  if (left.length) throw new Error(`lab guest: qemu pid ${g.pid} of ${g.name} still alive`);
}

/** killGuest, then remove its disks and boot image. */
export async function removeGuest(g: LabGuest): Promise<void> {
  await killGuest(g);
  for (const f of ['disks', 'initramfs', 'initrd.cpio']) rmSync(`${g.dir}/${f}`, { recursive: true, force: true });
}

export class Guest {
  readonly name: string;
  readonly address: string;
  readonly port = GUEST_PORT;
  constructor(
    public state: LabState,
    readonly dir: string,
    readonly opts: GuestOptions = {},
  ) {
    this.name = opts.name ?? 'store1';
    this.address = guestAddress(state.net);
  }
  get pid(): number {
    return this.state.guest?.pid ?? 0;
  }
  get console(): string {
    return `${this.dir}/console.log`;
  }

  /** Boot (or boot again after a shutdown: disks and the guest's fstab/mdadm.conf disk are kept). */
  async boot(): Promise<number> {
    const t0 = Date.now();
    const { dir } = this;
    const accel = guestAccel();
    const disks = ['vda', ...GUEST_DISKS].flatMap((d) => [
      '-drive',
      `if=none,id=${d},file=${dir}/disks/${d}.img,format=raw`,
      '-device',
      `virtio-blk-pci,drive=${d},serial=fabts-${d}`,
    ]);
    const argv = [
      '-name',
      `fabts-${this.name}`,
      '-machine',
      'q35',
      '-accel',
      accel === 'kvm' ? 'kvm' : 'tcg,tb-size=256',
      '-cpu',
      accel === 'kvm' ? 'host' : 'max',
      '-smp',
      '1',
      '-m',
      String(this.opts.memMiB ?? 512),
      '-nodefaults',
      '-no-user-config',
      '-display',
      'none',
      '-no-reboot',
      '-kernel',
      `/boot/vmlinuz-${guestKernel()}`,
      '-initrd',
      `${dir}/initrd.cpio`,
      '-append',
      'console=ttyS0 rdinit=/init panic=-1 loglevel=4 net.ifnames=0',
      '-serial',
      `file:${this.console}`,
      '-fsdev',
      'local,id=hostusr,path=/usr,security_model=none,readonly=on',
      '-device',
      'virtio-9p-pci,fsdev=hostusr,mount_tag=hostusr',
      '-fsdev',
      'local,id=hostetc,path=/etc,security_model=none,readonly=on',
      '-device',
      'virtio-9p-pci,fsdev=hostetc,mount_tag=hostetc',
      '-netdev',
      `user,id=n0,hostfwd=tcp:${this.address}:${this.port}-:22`,
      '-device',
      'virtio-net-pci,netdev=n0',
      ...disks,
      '-device',
      'virtio-rng-pci',
    ];
    const log = openSync(`${dir}/qemu.log`, 'w');
    let pid = 0;
    try {
      const child = spawn('qemu-system-x86_64', argv, { detached: true, stdio: ['ignore', log, log] });
      child.on('error', () => {
        /* reported by the readiness loop */
      });
      child.unref();
      pid = child.pid ?? 0;
    } finally {
      closeSync(log);
    }
    const startTime = pid ? procStartTime(pid) : undefined;
    this.record({ name: this.name, dir, pid, ...(startTime !== undefined ? { startTime } : {}), accel }); // on record before the wait
    const timeout = this.opts.bootTimeoutMs ?? (accel === 'tcg' ? 240_000 : 60_000);
    const end = Date.now() + timeout;
    // qemu's port forward accepts TCP before sshd runs: readiness is a real `ssh true`
    for (;;) {
      if (!pid || !isAlive(pid, startTime))
        throw new Error(
          `lab guest: qemu exited during boot:\n${logTail(`${dir}/qemu.log`)}\n--- console ---\n${logTail(this.console)}`,
        );
      const r = await labSsh(this.state, this.name, 'true', { args: ['-o', 'ConnectTimeout=3'], timeoutMs: 10_000 });
      if (r.code === 0) return Date.now() - t0;
      if (Date.now() > end) {
        await this.kill();
        throw new Error(
          `lab guest: no ssh after ${timeout / 1000}s (qemu killed): ${r.stderr.trim()}\n--- console ---\n${logTail(this.console)}`,
        );
      }
      await sleep(500);
    }
  }

  /** Write the guest's pid into lab.json, merged with what other writers put there since. */
  private record(g: LabGuest): void {
    const s = readState(this.state.dir) ?? this.state;
    s.guest = g;
    s.hosts[this.name] = { ...this.state.hosts[this.name]!, pid: g.pid };
    this.state = s;
    writeState(s);
  }

  private async kill(): Promise<void> {
    if (this.state.guest) await killGuest(this.state.guest);
    if (this.state.guest) this.record({ ...this.state.guest, pid: 0 });
  }

  /** Clean power-off through ssh (unmount, vgchange -an, mdadm --stop), then wait for qemu to exit. */
  async shutdown(): Promise<void> {
    const g = this.state.guest;
    if (!g || !isOurQemu(g)) return;
    await labSsh(this.state, this.name, `sudo sh -c ${JSON.stringify(SHUTDOWN)}`, {
      args: GUEST_SSH_ARGS,
      timeoutMs: 60_000,
    });
    const end = Date.now() + 30_000;
    while (isAlive(g.pid, g.startTime) && Date.now() < end) await sleep(200);
    await this.kill();
  }

  /** A reboot as the operator sees it: clean power-off, boot again on the same disks. */
  async reboot(): Promise<number> {
    await this.shutdown();
    return this.boot();
  }
}

/** The guest of a running lab (from its lab.json), e.g. to reboot it. */
export function labGuest(state: LabState): Guest {
  if (!state.guest) throw new Error(`lab: no guest in ${state.dir} (start the lab with --guest)`);
  return new Guest(state, state.guest.dir, { name: state.guest.name });
}

/**
 * Add the guest to a lab whose sshd hosts are up: its host key goes into the lab's known_hosts, the lab's
 * client key into its authorized_keys, a host into lab.json and ssh_config; then boot. Throws with qemu's
 * log and the console's tail when it cannot start (the caller stops the lab, which kills qemu by pid).
 */
export async function addGuest(state: LabState, opts: GuestOptions = {}): Promise<{ guest: Guest; bootMs: number }> {
  const probe = await run('qemu-system-x86_64', ['--version']);
  if (probe.code !== 0)
    throw new Error(
      `lab guest: qemu-system-x86_64 is not usable (${probe.stderr.trim() || `exit ${probe.code}`}); run bash scripts/setup-system.sh as root`,
    );
  const name = opts.name ?? 'store1';
  if (state.hosts[name]) throw new Error(`lab guest: the lab already has a host ${name}`);
  const dir = `${state.dir}/guest-${name}`;
  mkdirSync(`${dir}/disks`, { recursive: true, mode: 0o755 });
  const hostPub = await ensureKey(`${dir}/ssh_host_ed25519_key`, `fabts-lab-${name}`);
  const clientPub = await ensureKey(state.clientKey, 'fabts-lab-client');
  for (const d of ['vda', ...GUEST_DISKS]) {
    rmSync(`${dir}/disks/${d}.img`, { force: true });
    writeFileSync(`${dir}/disks/${d}.img`, '');
    truncateSync(`${dir}/disks/${d}.img`, d === 'vda' ? 64 << 20 : (opts.diskSize ?? 1 << 30)); // sparse
  }
  await buildInitramfs(dir, guestKernel(), name, {
    hostKey: `${dir}/ssh_host_ed25519_key`,
    authorized: clientPub + '\n',
  });
  const address = guestAddress(state.net);
  state.hosts[name] = {
    name,
    address,
    port: GUEST_PORT,
    roles: ['storage'],
    pid: 0,
    hostKeyFingerprint: fingerprint(hostPub),
    root: dir,
  };
  appendFileSync(state.knownHosts, knownHosts([{ address, port: GUEST_PORT, pubKey: hostPub }]));
  writeFileSync(state.sshConfig, sshConfig(state));
  writeState(state);
  const guest = new Guest(state, dir, opts);
  const bootMs = await guest.boot();
  Object.assign(state, guest.state); // the caller's state object sees the recorded pid
  return { guest, bootMs };
}
