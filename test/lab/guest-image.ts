// The storage guest's boot image: an initramfs of busybox-static + the modules that reach a 9p root,
// and the guest's PID 1 script. Host /usr and /etc are shared read-only over virtio-9p (/etc with a
// tmpfs overlay), so sshd, sudo, mdadm, lvm2 and xfsprogs come from the host's install. See lab-notes §7.
import { chmodSync, copyFileSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { mustRun } from './proc.js';

const MODULES = ['virtio_pci', 'virtio_blk', 'virtio_net', 'virtio_rng', '9pnet_virtio', '9p', 'overlay'];

/** Newest Debian kernel with its modules installed (linux-image-amd64). */
export function guestKernel(): string {
  const v = readdirSync('/boot')
    .filter((f) => f.startsWith('vmlinuz-'))
    .map((f) => f.slice(8))
    .sort()
    .at(-1);
  if (!v) throw new Error('lab guest: no /boot/vmlinuz-* (install linux-image-amd64: bash scripts/setup-system.sh)');
  return v;
}

// Stage 1 (busybox): modules, tmpfs root, 9p /usr and /etc (+overlay), then switch_root to stage 2.
const INIT = `#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin
fail() { echo "guest-init: FAILED: $*"; sleep 1; poweroff -f; }
mount -t proc proc /proc; mount -t sysfs sysfs /sys; mount -t devtmpfs devtmpfs /dev
for m in $(cat /modules.list); do insmod "$m" || echo "guest-init: insmod $m failed"; done
R=/newroot; O="trans=virtio,version=9p2000.L,ro,msize=262144,cache=loose"
mount -t tmpfs -o mode=0755,size=50% guestroot $R || fail "tmpfs root"
mkdir -p $R/usr $R/etc $R/.hostetc $R/.etc-rw $R/proc $R/sys $R/dev $R/run $R/tmp $R/var/tmp $R/var/log \\
  $R/var/lib $R/var/cache $R/mnt $R/home $R/root $R/srv
chmod 1777 $R/tmp $R/var/tmp; chmod 0700 $R/root
for l in bin sbin lib lib64; do ln -s usr/$l $R/$l; done
ln -s /run $R/var/run; ln -s /run/lock $R/var/lock
mount -t 9p -o $O hostusr $R/usr || fail "9p /usr"
mount -t 9p -o $O hostetc $R/.hostetc || fail "9p /etc"
mkdir -p $R/.etc-rw/upper $R/.etc-rw/work
mount -t overlay -o lowerdir=$R/.hostetc,upperdir=$R/.etc-rw/upper,workdir=$R/.etc-rw/work etc $R/etc || fail overlay
mkdir -p $R/etc/guestlab && cp -a /guestlab/. $R/etc/guestlab/ || fail "guestlab files"
mount --move /dev $R/dev; umount /proc /sys
exec switch_root $R /etc/guestlab/stage2
`;

// Stage 2 (host's /bin/sh): the guest's own state lives on a persistent disk (vda, ext4 made at first
// boot) so fstab and mdadm.conf survive a reboot; then sshd, and stay as PID 1 reaping orphans.
const STAGE2 = (hostname: string) => `#!/bin/sh
export PATH=/usr/sbin:/usr/bin HOME=/root
mount -t proc proc /proc; mount -t sysfs sysfs /sys
mountpoint -q /dev || mount -t devtmpfs devtmpfs /dev
mkdir -p /dev/pts /dev/shm
mount -t devpts -o gid=5,mode=620,ptmxmode=666 devpts /dev/pts
mount -t tmpfs -o mode=1777,nosuid,nodev shm /dev/shm
mount -t tmpfs -o mode=0755,nosuid,nodev run /run
mkdir -p /run/lock /run/sshd /run/lvm /run/mdadm /run/sudo; chmod 1777 /run/lock
mkdir -p /home/fabts && chown fabts: /home/fabts
echo ${hostname} > /proc/sys/kernel/hostname
printf '127.0.0.1 localhost\\n127.0.1.1 ${hostname}\\n' > /etc/hosts
# /etc/fstab and mdadm.conf are the guest's "system disk": kept on vda (a small ext4) across reboots
mkdir -p /var/lib/guestlab
blkid /dev/vda >/dev/null 2>&1 || mkfs.ext4 -q -F /dev/vda
mount /dev/vda /var/lib/guestlab
mkdir -p /etc/mdadm
[ -f /var/lib/guestlab/fstab ] || : > /var/lib/guestlab/fstab
[ -f /var/lib/guestlab/mdadm.conf ] || printf 'DEVICE partitions\\nHOMEHOST ${hostname}\\n' > /var/lib/guestlab/mdadm.conf
ln -sf /var/lib/guestlab/fstab /etc/fstab; ln -sf /var/lib/guestlab/mdadm.conf /etc/mdadm/mdadm.conf
ln -sf /proc/self/mounts /etc/mtab
# no udev: LVM makes its own device nodes
cat > /etc/lvm/lvm.conf <<'LVM'
devices { obtain_device_list_from_udev = 0 external_device_info_source = "none" }
activation { udev_sync = 0 udev_rules = 0 monitoring = 0 }
global { use_lvmpolld = 0 }
LVM
# boot as a real machine would: assemble arrays from mdadm.conf, activate VGs, mount fstab
modprobe raid0 2>/dev/null; mdadm --assemble --scan >/dev/null 2>&1
vgchange -ay >/dev/null 2>&1; vgmknodes >/dev/null 2>&1
# no udev, so no /dev/disk/by-uuid: resolve fstab's UUID= lines with blkid, as systemd's fstab generator would
grep '^UUID=' /etc/fstab | while read -r spec mp fs opts _; do
  dev=$(blkid -U "\${spec#UUID=}") && mkdir -p "$mp" && mount -t "$fs" -o "$opts" "$dev" "$mp" || echo "guestlab: cannot mount $spec on $mp" > /dev/console
done
ip link set lo up
IF=$(ls /sys/class/net | grep -vx lo | head -n1)
ip addr add 10.0.2.15/24 dev "$IF" && ip link set "$IF" up && ip route add default via 10.0.2.2
/usr/sbin/sshd -f /etc/guestlab/sshd_config -E /run/sshd.log && echo "guestlab: sshd up after $(cut -d' ' -f1 /proc/uptime)s" > /dev/console
trap '' HUP INT TERM
while :; do sleep 3600 & wait $!; done
`;

const SSHD = `Port 22
HostKey /etc/guestlab/ssh_host_ed25519_key
AuthorizedKeysFile /etc/guestlab/authorized_keys
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
UseDNS no
StrictModes no
PrintMotd no
PidFile /run/sshd.pid
Subsystem sftp internal-sftp
`;

/** Clean shutdown: unmount the data stack, deactivate VGs, stop arrays, then power off (qemu exits). */
export const SHUTDOWN = `sync; awk '$1 ~ /^\\/dev\\/(mapper|md|dm-|vg)/ {print $2}' /proc/mounts | sort -r | while read -r m; do umount "$m"; done; \
umount /var/lib/guestlab; vgchange -an >/dev/null 2>&1; mdadm --stop --scan >/dev/null 2>&1; sync; \
( sleep 1; echo o > /proc/sysrq-trigger ) >/dev/null 2>&1 </dev/null &`;

/** Build $dir/initrd.cpio; keys: host key pair + authorized_keys content. */
export async function buildInitramfs(
  dir: string,
  kver: string,
  hostname: string,
  keys: { hostKey: string; authorized: string },
): Promise<string> {
  const root = `${dir}/initramfs`;
  rmSync(root, { recursive: true, force: true });
  for (const d of ['bin', 'dev', 'proc', 'sys', 'newroot', 'guestlab']) mkdirSync(`${root}/${d}`, { recursive: true });
  copyFileSync('/bin/busybox', `${root}/bin/busybox`);
  chmodSync(`${root}/bin/busybox`, 0o755);
  const list: string[] = [];
  for (const m of MODULES) {
    const deps = await mustRun('modprobe', ['-S', kver, '--show-depends', m]);
    for (const line of deps.split('\n')) {
      const f = /^insmod (\S+)/.exec(line)?.[1];
      if (!f) continue;
      const path = f.startsWith('/usr') ? f : `/usr${f}`; // merged /usr
      if (list.includes(path)) continue;
      mkdirSync(dirname(root + path), { recursive: true });
      copyFileSync(path, root + path);
      list.push(path);
    }
  }
  writeFileSync(`${root}/modules.list`, list.join('\n') + '\n');
  writeFileSync(`${root}/init`, INIT, { mode: 0o755 });
  writeFileSync(`${root}/guestlab/stage2`, STAGE2(hostname), { mode: 0o755 });
  writeFileSync(`${root}/guestlab/sshd_config`, SSHD);
  copyFileSync(keys.hostKey, `${root}/guestlab/ssh_host_ed25519_key`);
  chmodSync(`${root}/guestlab/ssh_host_ed25519_key`, 0o600);
  writeFileSync(`${root}/guestlab/authorized_keys`, keys.authorized, { mode: 0o644 });
  const out = `${dir}/initrd.cpio`;
  await mustRun('sh', [
    '-c',
    `cd "$1" && mknod -m 600 dev/console c 5 1 && find . | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet > "$2"`,
    'sh',
    root,
    out,
  ]);
  return out;
}
