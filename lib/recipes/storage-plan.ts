import { sh, type ShellCommand } from '../commands/quote.js';

/**
 * Pure parts of the stripe recipe (seed: "A Fabric script for striping EBS volumes"): parse what the
 * read-only probes printed, decide which devices must be refused, and build the exact command plan.
 * No I/O here, so the plan is table-tested; lib/recipes/storage.ts runs probes and plan on a host.
 */

export interface StripeOptions {
  devices: readonly string[];
  /** md device, default /dev/md0 */
  md: string;
  level: number;
  chunk: number;
  readahead: number;
  vg: string;
  lv: string;
  /** lvcreate --size; undefined: all free space */
  size?: string;
  fs: 'xfs' | 'ext4';
  mount: string;
  mountOptions: string;
  force: boolean;
}

export interface MdArray {
  name: string;
  level: string;
  /** kernel names, sorted by role: ['vdb', 'vdc'] */
  members: string[];
  chunkKb?: number;
}

/** `/proc/mdstat` -> arrays. `md0 : active raid0 vdd[2] vdc[1] vdb[0]` then `... 256k chunks`. */
export function parseMdstat(text: string): MdArray[] {
  const out: MdArray[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^(md\S*)\s*:\s*(\S+)\s+(?:\(\S+\)\s+)?(raid\d+|linear)?\s*(.*)$/.exec(line);
    if (!m) return;
    const members = (m[4] ?? '').split(/\s+/).filter(Boolean)
      .map((w) => /^([^[\s]+)\[(\d+)\]/.exec(w)).filter((x): x is RegExpExecArray => !!x)
      .sort((a, b) => Number(a[2]) - Number(b[2])).map((x) => x[1]!);
    const chunk = /(\d+)k chunk/.exec(lines[i + 1] ?? '');
    out.push({ name: m[1]!, level: m[3] ?? m[2]!, members, ...(chunk ? { chunkKb: Number(chunk[1]) } : {}) });
  });
  return out;
}

/** `blkid -p -o export DEV` -> { TYPE: 'xfs', PTTYPE: 'gpt', ... } (empty when nothing is found). */
export function parseExport(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const eq = line.indexOf('=');
    if (eq > 0) out[line.slice(0, eq)] = line.slice(eq + 1);
  }
  return out;
}

/** What the probes found on one device. */
export interface DeviceFacts {
  path: string;
  exists: boolean;
  /** blkid -p: TYPE (xfs, linux_raid_member, LVM2_member...), PTTYPE (gpt, dos) */
  blkid: Record<string, string>;
  /** lsblk: mount points of the device or anything on it */
  mounts: string[];
  /** lsblk: partitions (children of type part) */
  partitions: string[];
  /** volume group when the device itself is a PV */
  vg?: string;
}

export const kernelName = (path: string): string => path.replace(/^\/dev\//, '');

/** Arrays that hold a device: by kernel name. */
const arraysOf = (dev: string, arrays: readonly MdArray[]) => arrays.filter((a) => a.members.includes(kernelName(dev)));

/** The existing array with exactly these members (any order), which a second run reuses. */
export function sameArray(devices: readonly string[], arrays: readonly MdArray[]): MdArray | undefined {
  const want = devices.map(kernelName).sort().join(' ');
  return arrays.find((a) => [...a.members].sort().join(' ') === want);
}

/**
 * Why each device cannot be striped: missing (always refused), or holding data (refused unless force).
 * Members of the very array we would create are fine: that array is reused.
 */
export function refusals(opts: StripeOptions, facts: readonly DeviceFacts[], arrays: readonly MdArray[]): { missing: string[]; inUse: string[] } {
  const reuse = sameArray(opts.devices, arrays);
  const missing = facts.filter((f) => !f.exists).map((f) => `${f.path}: no such block device`);
  const inUse: string[] = [];
  const dup = opts.devices.filter((d, i) => opts.devices.indexOf(d) !== i);
  if (dup.length) missing.push(`${dup.join(', ')}: given twice`);
  for (const f of facts.filter((x) => x.exists)) {
    const what: string[] = [];
    const other = arraysOf(f.path, arrays).filter((a) => a !== reuse);
    if (other.length) what.push(`member of array ${other.map((a) => `/dev/${a.name}`).join(', ')}`);
    else if (!reuse && f.blkid.TYPE === 'linux_raid_member') what.push('an md superblock (linux_raid_member)');
    if (f.blkid.TYPE && f.blkid.TYPE !== 'linux_raid_member' && f.blkid.TYPE !== 'LVM2_member') what.push(`a ${f.blkid.TYPE} filesystem`);
    if (f.blkid.PTTYPE) what.push(`a ${f.blkid.PTTYPE} partition table`);
    if (f.partitions.length) what.push(`partitions ${f.partitions.join(', ')}`);
    if (f.vg !== undefined) what.push(`a physical volume${f.vg ? ` of volume group ${f.vg}` : ''}`);
    else if (f.blkid.TYPE === 'LVM2_member') what.push('an LVM physical volume');
    if (f.mounts.length) what.push(`mounted on ${f.mounts.join(', ')}`);
    if (what.length) inUse.push(`${f.path} holds ${what.join(', ')}`);
  }
  return { missing, inUse };
}

/** What already exists of the stack the run wants (from the probes). */
export interface StackFacts {
  /** the md device of the array with our members, when there is one */
  array?: string;
  /** mdadm.conf already lists that array's UUID */
  arrayInConf: boolean;
  /** volume group of the array's PV ('' = a PV in no VG; undefined = not a PV) */
  pvVg?: string;
  lvExists: boolean;
  /** filesystem TYPE on the LV, '' when none */
  lvFs: string;
  /** fstab has a line for the LV's filesystem UUID */
  inFstab: boolean;
  mounted: boolean;
}

export interface PlanStep {
  why: string;
  cmd: ShellCommand;
}

export const lvPath = (o: Pick<StripeOptions, 'vg' | 'lv'>): string => `/dev/${o.vg}/${o.lv}`;

/**
 * The commands a stripe run executes (all as root), in order, given what exists. Empty = nothing to do.
 * Steps that need a value only known after an earlier step (UUIDs) read it on the host with blkid/mdadm.
 */
export function stripePlan(o: StripeOptions, s: StackFacts): PlanStep[] {
  const steps: PlanStep[] = [];
  const add = (why: string, cmd: ShellCommand) => steps.push({ why, cmd });
  const md = s.array ?? o.md;
  const lv = lvPath(o);
  if (!s.array) {
    add(`create the RAID${o.level} array`, sh`mdadm --create ${o.md} --run --level=${o.level} --chunk=${o.chunk} --raid-devices=${o.devices.length} ${o.devices}`);
  }
  if (!s.array || !s.arrayInConf) {
    add('record the array in mdadm.conf, so it assembles at boot', sh`conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf; u=$(mdadm --detail --export ${md} | sed -n 's/^MD_UUID=//p'); grep -qs "UUID=$u" "$conf" || { mdadm --detail --brief ${md} >> "$conf" && { ! command -v update-initramfs >/dev/null || update-initramfs -u; }; }`);
  }
  add('set the read-ahead (not persistent: set on every run)', sh`blockdev --setra ${o.readahead} ${md}`);
  if (s.pvVg === undefined) add('make the array an LVM physical volume', sh`pvcreate ${md}`);
  if (!s.pvVg) add('create the volume group', sh`vgcreate ${o.vg} ${md}`);
  if (!s.lvExists) {
    add('create the logical volume', o.size ? sh`lvcreate -y -n ${o.lv} -L ${o.size} ${o.vg}` : sh`lvcreate -y -n ${o.lv} -l 100%FREE ${o.vg}`);
  }
  if (!s.lvFs) add(`make the ${o.fs} filesystem`, o.fs === 'xfs' ? sh`mkfs.xfs -q ${lv}` : sh`mkfs.ext4 -q ${lv}`);
  if (!s.inFstab) {
    add('add the filesystem to /etc/fstab by UUID (nofail: boot goes on without it)', sh`u=$(blkid -s UUID -o value ${lv}) && [ -n "$u" ] && { grep -q "^UUID=$u " /etc/fstab || printf 'UUID=%s %s %s %s 0 2\\n' "$u" ${o.mount} ${o.fs} ${`${o.mountOptions},nofail`} >> /etc/fstab; }`);
  }
  if (!s.mounted) add(`mount it on ${o.mount}`, sh`mkdir -p ${o.mount} && mount ${o.mount}`);
  // read-ahead alone means nothing else changed; blockdev --setra is cheap and idempotent
  return steps;
}

/** Only the read-ahead step: the stack is complete. */
export const nothingToDo = (steps: readonly PlanStep[]): boolean => steps.every((st) => st.cmd.text.startsWith('blockdev --setra'));

/** Tear down what stripe built, in reverse order; every step tolerates a part that is already gone. */
export function unstripePlan(o: Pick<StripeOptions, 'devices' | 'vg' | 'lv' | 'mount'>, md: string): PlanStep[] {
  const lv = lvPath(o);
  return [
    { why: 'unmount', cmd: sh`! mountpoint -q ${o.mount} || umount ${o.mount}` },
    { why: 'remove the fstab line', cmd: sh`u=$(blkid -s UUID -o value ${lv} 2>/dev/null); [ -z "$u" ] || sed -i "\\|^UUID=$u |d" /etc/fstab` },
    { why: 'remove the LV, VG and PV', cmd: sh`{ ! lvs ${lv} >/dev/null 2>&1 || lvremove -y ${lv}; } && { ! vgs ${o.vg} >/dev/null 2>&1 || vgremove -y ${o.vg}; } && { ! pvs ${md} >/dev/null 2>&1 || pvremove -y ${md}; }` },
    { why: 'forget the array in mdadm.conf', cmd: sh`conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf; u=$(mdadm --detail --export ${md} 2>/dev/null | sed -n 's/^MD_UUID=//p'); [ -z "$u" ] || [ ! -f "$conf" ] || sed -i "/UUID=$u/d" "$conf"` },
    { why: 'stop the array', cmd: sh`[ ! -b ${md} ] || mdadm --stop ${md}` },
    { why: 'zero the md superblocks and wipe signatures', cmd: sh`mdadm --zero-superblock ${o.devices} 2>/dev/null; wipefs -a ${o.devices}` },
  ];
}
