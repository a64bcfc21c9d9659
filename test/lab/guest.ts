// An optional lab host kind: a qemu guest with Debian's kernel (md, LVM, XFS), 3 sparse virtio data
// disks vdb..vdd with serials, sshd with its own host key, the lab's login user (fabts, sudo NOPASSWD).
// Its dir holds a lab.json in the LabState shape, so hosts/lab.ts (FAB_LAB_DIR=dir) maps it as store1.
import { spawn } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { LAB_SUDO_USER, LAB_USER, knownHosts, sshConfig, writeState } from './files.js';
import { ensureKey, fingerprint, logTail } from './host.js';
import { buildInitramfs, guestKernel, SHUTDOWN } from './guest-image.js';
import { isAlive, killPids, procCmdline, run, sleep } from './proc.js';
import { labSsh } from './ssh.js';
import type { LabState } from './types.js';

export const GUEST_DISKS = ['vdb', 'vdc', 'vdd'];

export interface GuestOptions {
  dir: string;
  /** lab net: the guest's sshd is forwarded from 127.<net>.0.1:2222 */
  net: number;
  name?: string;
  diskSize?: string;
  memMiB?: number;
  bootTimeoutMs?: number;
}

/** Hardware KVM only with vmx/svm and no kvm_pvm (a software hypervisor that cannot boot Debian's kernel). */
export function guestAccel(): 'kvm' | 'tcg' {
  const hw = /\b(vmx|svm)\b/.test(readFileSync('/proc/cpuinfo', 'utf8'));
  return hw && existsSync('/dev/kvm') && !existsSync('/sys/module/kvm_pvm') ? 'kvm' : 'tcg';
}

export class Guest {
  pid = 0;
  readonly name: string;
  readonly address: string;
  readonly port = 2222;
  constructor(readonly opts: GuestOptions, readonly state: LabState) {
    this.name = opts.name ?? 'store1';
    this.address = `127.${opts.net}.0.1`;
  }
  get console(): string { return `${this.opts.dir}/console.log`; }

  /** Boot (or boot again after stop: disks and the guest's fstab/mdadm.conf disk are kept). */
  async boot(): Promise<number> {
    const t0 = Date.now();
    const { dir } = this.opts;
    const kver = guestKernel();
    const accel = guestAccel();
    const disks = ['vda', ...GUEST_DISKS].flatMap((d) => ['-drive', `if=none,id=${d},file=${dir}/disks/${d}.img,format=raw`, '-device', `virtio-blk-pci,drive=${d},serial=fabts-${d}`]);
    const argv = [
      '-name', `fabts-${this.name}`, '-machine', 'q35', '-accel', accel === 'kvm' ? 'kvm' : 'tcg,tb-size=256', '-cpu', accel === 'kvm' ? 'host' : 'max',
      '-smp', '1', '-m', String(this.opts.memMiB ?? 512), '-nodefaults', '-no-user-config', '-display', 'none', '-no-reboot',
      '-kernel', `/boot/vmlinuz-${kver}`, '-initrd', `${dir}/initrd.cpio`,
      '-append', 'console=ttyS0 rdinit=/init panic=-1 loglevel=4 net.ifnames=0', '-serial', `file:${this.console}`,
      '-fsdev', 'local,id=hostusr,path=/usr,security_model=none,readonly=on', '-device', 'virtio-9p-pci,fsdev=hostusr,mount_tag=hostusr',
      '-fsdev', 'local,id=hostetc,path=/etc,security_model=none,readonly=on', '-device', 'virtio-9p-pci,fsdev=hostetc,mount_tag=hostetc',
      '-netdev', `user,id=n0,hostfwd=tcp:${this.address}:${this.port}-:22`, '-device', 'virtio-net-pci,netdev=n0',
      ...disks, '-device', 'virtio-rng-pci',
    ];
    const log = openSync(`${dir}/qemu.log`, 'w');
    try {
      const child = spawn('qemu-system-x86_64', argv, { detached: true, stdio: ['ignore', log, log] });
      child.on('error', () => { /* reported by the readiness loop */ });
      child.unref();
      this.pid = child.pid ?? 0;
    } finally {
      closeSync(log);
    }
    const timeout = this.opts.bootTimeoutMs ?? (accel === 'tcg' ? 240_000 : 60_000);
    const end = Date.now() + timeout;
    // qemu's port forward accepts TCP before sshd runs: readiness is a real `ssh true`
    for (;;) {
      if (!this.pid || !isAlive(this.pid)) throw new Error(`lab guest: qemu exited during boot:\n${logTail(`${dir}/qemu.log`)}\n--- console ---\n${logTail(this.console)}`);
      const r = await labSsh(this.state, this.name, 'true', { args: ['-o', 'ConnectTimeout=3'], timeoutMs: 10_000 });
      if (r.code === 0) return Date.now() - t0;
      if (Date.now() > end) {
        await this.kill();
        throw new Error(`lab guest: no ssh after ${timeout / 1000}s (qemu killed): ${r.stderr.trim()}\n--- console ---\n${logTail(this.console)}`);
      }
      await sleep(500);
    }
  }

  private async kill(): Promise<void> {
    if (this.pid && isAlive(this.pid) && procCmdline(this.pid).includes(`fabts-${this.name}`)) await killPids([this.pid]);
    this.pid = 0;
  }

  /** Clean power-off through ssh (unmount, vgchange -an, mdadm --stop), then wait for qemu to exit. */
  async shutdown(): Promise<void> {
    if (!this.pid || !isAlive(this.pid)) return;
    await labSsh(this.state, this.name, `sudo sh -c ${JSON.stringify(SHUTDOWN)}`, { timeoutMs: 30_000 });
    const end = Date.now() + 30_000;
    while (isAlive(this.pid) && Date.now() < end) await sleep(200);
    await this.kill();
  }

  /** A reboot as the operator sees it: clean power-off, boot again on the same disks. */
  async reboot(): Promise<number> {
    await this.shutdown();
    return this.boot();
  }

  /** Stop and remove the disks and image. */
  async stop(): Promise<void> {
    await this.shutdown().catch(() => this.kill());
    rmSync(`${this.opts.dir}/disks`, { recursive: true, force: true });
    rmSync(`${this.opts.dir}/initramfs`, { recursive: true, force: true });
    rmSync(`${this.opts.dir}/initrd.cpio`, { force: true });
  }
}

/** Prepare keys, disks, image and state; boot. Throws with the reason when qemu cannot start. */
export async function startGuest(opts: GuestOptions): Promise<{ guest: Guest; bootMs: number }> {
  const { dir } = opts;
  const probe = await run('qemu-system-x86_64', ['--version']);
  if (probe.code !== 0) throw new Error(`lab guest: qemu-system-x86_64 is not usable (${probe.stderr.trim() || `exit ${probe.code}`}); run bash scripts/setup-system.sh as root`);
  mkdirSync(`${dir}/disks`, { recursive: true, mode: 0o755 });
  mkdirSync(`${dir}/client`, { recursive: true, mode: 0o755 });
  const name = opts.name ?? 'store1';
  const hostPub = await ensureKey(`${dir}/ssh_host_ed25519_key`, `fabts-lab-${name}`);
  const clientPub = await ensureKey(`${dir}/client/id_ed25519`, 'fabts-lab-client');
  for (const d of ['vda', ...GUEST_DISKS]) {
    rmSync(`${dir}/disks/${d}.img`, { force: true });
    writeFileSync(`${dir}/disks/${d}.img`, '');
    truncateSync(`${dir}/disks/${d}.img`, d === 'vda' ? 64 << 20 : 1 << 30); // sparse
  }
  await buildInitramfs(dir, guestKernel(), name, { hostKey: `${dir}/ssh_host_ed25519_key`, authorized: clientPub + '\n' });
  const address = `127.${opts.net}.0.1`;
  const state: LabState = {
    dir, net: opts.net, createdAt: new Date().toISOString(), user: LAB_USER, sudoUser: LAB_SUDO_USER, sudoPassword: '',
    clientKey: `${dir}/client/id_ed25519`, knownHosts: `${dir}/known_hosts`, sshConfig: `${dir}/ssh_config`, netns: [], services: {},
    hosts: { [name]: { name, address, port: 2222, roles: ['storage'], pid: 0, hostKeyFingerprint: fingerprint(hostPub), root: dir } },
  };
  writeFileSync(state.knownHosts, knownHosts([{ address, port: 2222, pubKey: hostPub }]));
  writeFileSync(state.sshConfig, sshConfig(state));
  const guest = new Guest(opts, state);
  const bootMs = await guest.boot();
  state.hosts[name]!.pid = guest.pid;
  writeState(state);
  return { guest, bootMs };
}
