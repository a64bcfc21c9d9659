import { join, sh, type ShellCommand } from '../commands/quote.js';
import {
  kernelName,
  lvSources,
  parseDeviceProbe,
  parseMdstat,
  parsePvs,
  parseStackProbe,
  stackProbe,
  type DeviceFacts,
  type MdArray,
  type StackProbe,
} from './storage-probe.js';

export { kernelName, parseExport, parseMdstat, type DeviceFacts, type MdArray } from './storage-probe.js';

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

/**
 * The seed's choices (raid0, 256k chunks, read-ahead 65536, vgm0/lvm0, xfs with noatime): the stripe task's
 * defaults.
 */
export const STRIPE_DEFAULTS = {
  md: '/dev/md0',
  level: 0,
  chunk: 256,
  readahead: 65536,
  vg: 'vgm0',
  lv: 'lvm0',
  fs: 'xfs',
  mount: '/mnt/lvm0',
  mountOptions: 'noatime',
  force: false,
} as const satisfies Omit<StripeOptions, 'devices'>;

/**
 * Problems with the device arguments that need no host to see: not an absolute /dev path, odd characters,
 * given twice. Checked when the arguments are parsed (a usage error, exit 2, before any connection); whether
 * a device exists can only be seen on the host, by the read-only probe.
 */
export function deviceArgProblems(devices: readonly string[]): string[] {
  const out: string[] = [];
  for (const d of devices) {
    if (!d.startsWith('/dev/'))
      out.push(`${JSON.stringify(d)} is not a device path (write /dev/${d.replace(/^\/+/, '')})`);
    else if (!/^\/dev\/[A-Za-z0-9._:+@-]+(\/[A-Za-z0-9._:+@-]+)*$/.test(d) || d.split('/').includes('..')) {
      out.push(`${JSON.stringify(d)} is not a valid device path`);
    }
  }
  const dup = [...new Set(devices.filter((d, i) => devices.indexOf(d) !== i))];
  if (dup.length) out.push(`${dup.join(', ')} given twice`);
  return out;
}

/** The other arguments that need no host to check: md device, VG/LV names (as LVM allows them), mount point. */
export function layoutArgProblems(o: Pick<StripeOptions, 'md' | 'vg' | 'lv' | 'mount'>): string[] {
  const out: string[] = [];
  if (!/^\/dev\/md[A-Za-z0-9_/-]*$/.test(o.md) || o.md.includes('..'))
    out.push(`--md ${JSON.stringify(o.md)} is not an md device (write /dev/md0)`);
  for (const [k, v] of [
    ['vg', o.vg],
    ['lv', o.lv],
  ] as const) {
    if (!/^[A-Za-z0-9+_.][A-Za-z0-9+_.-]*$/.test(v) || v === '.' || v === '..')
      out.push(`--${k} ${JSON.stringify(v)} is not a valid LVM name (letters, digits, + _ . -)`);
  }
  if (!o.mount.startsWith('/') || o.mount === '/' || o.mount.split('/').includes('..'))
    out.push(`--mount ${JSON.stringify(o.mount)} must be an absolute path other than /`);
  return out;
}

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
export function refusals(
  opts: StripeOptions,
  facts: readonly DeviceFacts[],
  arrays: readonly MdArray[],
): { missing: string[]; inUse: string[] } {
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
    if (f.blkid.TYPE && f.blkid.TYPE !== 'linux_raid_member' && f.blkid.TYPE !== 'LVM2_member')
      what.push(`a ${f.blkid.TYPE} filesystem`);
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

/** The stack facts from the stack probe, or the reason to stop with nothing changed. */
export function decideStack(
  o: StripeOptions,
  found: MdArray | undefined,
  pvs: ReadonlyMap<string, string>,
  p: StackProbe,
): { facts: StackFacts } | { problem: string } {
  const facts: StackFacts = { arrayInConf: false, lvExists: false, lvFs: '', inFstab: false, mounted: false };
  const lv = lvPath(o);
  if (found) {
    const md = `/dev/${found.name}`;
    facts.array = md;
    if (
      found.level !== `raid${o.level}` ||
      (found.chunkKb !== undefined && o.level === 0 && found.chunkKb !== o.chunk)
    ) {
      const chunks = found.chunkKb ? ` with ${found.chunkKb}k chunks` : '';
      return {
        problem:
          `${md} already has these devices as ${found.level}${chunks}, ` +
          `not raid${o.level} with ${o.chunk}k chunks; nothing changed (unstripe it first)`,
      };
    }
    facts.arrayInConf = p.inConf;
    const vg = pvs.get(md);
    if (vg !== undefined) facts.pvVg = vg;
  }
  if (facts.pvVg === undefined && p.vgExists)
    return { problem: `volume group ${o.vg} already exists on other devices; nothing changed (choose another --vg)` };
  if (facts.pvVg && facts.pvVg !== o.vg)
    return { problem: `${facts.array} is already in volume group ${facts.pvVg}, not ${o.vg}; nothing changed` };
  const ours = !!facts.pvVg && p.lvExists;
  if (ours) {
    facts.lvExists = true;
    facts.lvFs = p.lvFs;
    if (facts.lvFs && facts.lvFs !== o.fs)
      return { problem: `${lv} holds ${facts.lvFs}, not ${o.fs}; nothing changed` };
    facts.inFstab = !!facts.lvFs && p.inFstab;
  }
  if (p.mountedSource) {
    if (!ours || !lvSources(o.vg, o.lv).includes(p.mountedSource)) {
      return {
        problem: `${o.mount} already has ${p.mountedSource} mounted on it; nothing changed (choose another --mount)`,
      };
    }
    facts.mounted = true;
  }
  return { facts };
}

/** Where mdadm.conf lives: Debian's /etc/mdadm/, else /etc/. */
const MDADM_CONF = sh`conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf`;

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
    const n = o.devices.length;
    add(
      `create the RAID${o.level} array`,
      sh`mdadm --create ${o.md} --run --level=${o.level} --chunk=${o.chunk} --raid-devices=${n} ${o.devices}`,
    );
  }
  if (!s.array || !s.arrayInConf) {
    const initramfs = sh`{ ! command -v update-initramfs >/dev/null || update-initramfs -u; }`;
    add(
      'record the array in mdadm.conf, so it assembles at boot',
      join(
        [
          MDADM_CONF,
          sh`u=$(mdadm --detail --export ${md} | sed -n 's/^MD_UUID=//p')`,
          sh`grep -qs "UUID=$u" "$conf" || { mdadm --detail --brief ${md} >> "$conf" && ${initramfs}; }`,
        ],
        '; ',
      ),
    );
  }
  add('set the read-ahead (not persistent: set on every run)', sh`blockdev --setra ${o.readahead} ${md}`);
  if (s.pvVg === undefined) add('make the array an LVM physical volume', sh`pvcreate ${md}`);
  if (!s.pvVg) add('create the volume group', sh`vgcreate ${o.vg} ${md}`);
  if (!s.lvExists) {
    add(
      'create the logical volume',
      o.size ? sh`lvcreate -y -n ${o.lv} -L ${o.size} ${o.vg}` : sh`lvcreate -y -n ${o.lv} -l 100%FREE ${o.vg}`,
    );
  }
  if (!s.lvFs) add(`make the ${o.fs} filesystem`, o.fs === 'xfs' ? sh`mkfs.xfs -q ${lv}` : sh`mkfs.ext4 -q ${lv}`);
  if (!s.inFstab) {
    const line = sh`printf 'UUID=%s %s %s %s 0 2\\n' "$u" ${o.mount} ${o.fs} ${`${o.mountOptions},nofail`}`;
    add(
      'add the filesystem to /etc/fstab by UUID (nofail: boot goes on without it)',
      join(
        [
          sh`u=$(blkid -s UUID -o value ${lv})`,
          sh`[ -n "$u" ]`,
          sh`{ grep -q "^UUID=$u " /etc/fstab || ${line} >> /etc/fstab; }`,
        ],
        ' && ',
      ),
    );
  }
  if (!s.mounted) add(`mount it on ${o.mount}`, sh`mkdir -p ${o.mount} && mount ${o.mount}`);
  // read-ahead alone means nothing else changed; blockdev --setra is cheap and idempotent
  return steps;
}

/** Only the read-ahead step: the stack is complete. */
export const nothingToDo = (steps: readonly PlanStep[]): boolean =>
  steps.every((st) => st.cmd.text.startsWith('blockdev --setra'));

/** Tear down what stripe built, in reverse order; every step tolerates a part that is already gone. */
export function unstripePlan(o: Pick<StripeOptions, 'devices' | 'vg' | 'lv' | 'mount'>, md: string): PlanStep[] {
  const lv = lvPath(o);
  return [
    { why: 'unmount', cmd: sh`! mountpoint -q ${o.mount} || umount ${o.mount}` },
    {
      why: 'remove the fstab line',
      cmd: sh`u=$(blkid -s UUID -o value ${lv} 2>/dev/null); [ -z "$u" ] || sed -i "\\|^UUID=$u |d" /etc/fstab`,
    },
    {
      why: 'remove the LV, VG and PV',
      cmd: join(
        [
          sh`{ ! lvs ${lv} >/dev/null 2>&1 || lvremove -y ${lv}; }`,
          sh`{ ! vgs ${o.vg} >/dev/null 2>&1 || vgremove -y ${o.vg}; }`,
          sh`{ ! pvs ${md} >/dev/null 2>&1 || pvremove -y ${md}; }`,
        ],
        ' && ',
      ),
    },
    {
      why: 'forget the array in mdadm.conf',
      cmd: join(
        [
          MDADM_CONF,
          sh`u=$(mdadm --detail --export ${md} 2>/dev/null | sed -n 's/^MD_UUID=//p')`,
          sh`[ -z "$u" ] || [ ! -f "$conf" ] || sed -i "/UUID=$u/d" "$conf"`,
        ],
        '; ',
      ),
    },
    { why: 'stop the array', cmd: sh`[ ! -b ${md} ] || mdadm --stop ${md}` },
    {
      why: 'zero the md superblocks and wipe signatures',
      cmd: sh`mdadm --zero-superblock ${o.devices} 2>/dev/null; wipefs -a ${o.devices}`,
    },
  ];
}

/** --force over data: stop arrays that hold the devices, then wipe every signature. */
export function wipeSteps(devices: readonly string[], arrays: readonly MdArray[]): PlanStep[] {
  const holders = arrays.filter((a) => devices.some((d) => a.members.includes(kernelName(d))));
  return [
    ...holders.map((a) => ({ why: `stop /dev/${a.name} (--force)`, cmd: sh`mdadm --stop ${`/dev/${a.name}`}` })),
    { why: 'wipe signatures (--force)', cmd: sh`mdadm --zero-superblock ${devices} 2>/dev/null; wipefs -a ${devices}` },
  ];
}

/** What the first probes printed: deviceProbe, PVS_PROBE, MDSTAT_PROBE. */
export interface FirstProbes {
  devices: string;
  pvs: string;
  mdstat: string;
}

export interface StripeCheck {
  /** why nothing may be done (missing devices; data without --force) */
  refused?: string;
  /** the md device the run builds on: the array reused, or the one to create */
  md: string;
  reused?: MdArray;
  /** devices --force will wipe, with what is on them */
  inUse: string[];
  arrays: MdArray[];
  pvs: Map<string, string>;
  /** the next probe to run: stackProbe for md */
  next: ShellCommand;
}

/** Phase one: the devices' facts decide whether the run may go on, and which md it builds on. */
export function checkStripe(o: StripeOptions, p: FirstProbes): StripeCheck {
  const pvs = parsePvs(p.pvs);
  const arrays = parseMdstat(p.mdstat);
  const { missing, inUse } = refusals(o, parseDeviceProbe(p.devices, pvs), arrays);
  const reused = inUse.length ? undefined : sameArray(o.devices, arrays);
  const md = reused ? `/dev/${reused.name}` : o.md;
  const refused = missing.length
    ? `${missing.join('; ')}; nothing changed`
    : inUse.length && !o.force
      ? `refusing to stripe over data:\n  ${inUse.join('\n  ')}\n  nothing changed; pass --force to destroy it`
      : undefined;
  return {
    ...(refused ? { refused } : {}),
    md,
    ...(reused ? { reused } : {}),
    inUse,
    arrays,
    pvs,
    next: stackProbe({ md, vg: o.vg, lv: o.lv, mount: o.mount }),
  };
}

/** Phase two: the stack probe's answer -> the exact steps (idle: only the read-ahead), or why to stop. */
export function planStripe(
  o: StripeOptions,
  c: StripeCheck,
  stackText: string,
): { problem: string } | { steps: PlanStep[]; idle: boolean } {
  const decided = decideStack(o, c.reused, c.pvs, parseStackProbe(stackText));
  if ('problem' in decided) return decided;
  const steps = [...(c.inUse.length ? wipeSteps(o.devices, c.arrays) : []), ...stripePlan(o, decided.facts)];
  return { steps, idle: nothingToDo(steps) };
}

/**
 * All steps in one root shell, one round trip instead of one per step (each sudo costs ~1 s on the emulated
 * guest). It stops at the first failing step; the last `@step N` line it printed says which one.
 */
export function stepsScript(steps: readonly PlanStep[]): ShellCommand {
  return join(
    steps.map((st, i) => sh`echo @step ${i} && { ${st.cmd}; }`),
    ' && ',
  );
}

/** The index of the step a failed stepsScript stopped at. */
export function failedStep(stdout: string): number {
  const marks = [...stdout.matchAll(/^@step (\d+)$/gm)];
  return marks.length ? Number(marks.at(-1)![1]) : 0;
}
