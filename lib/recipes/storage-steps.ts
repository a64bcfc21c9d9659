import { join, sh, type ShellCommand } from '../commands/quote.js';
import { lvPath, type StripeOptions } from './storage-options.js';
import { kernelName, type MdArray } from './storage-probe.js';

/**
 * The commands of the stripe recipe (all run as root), built from what exists: pure, so golden-tested
 * (test/recipes/storage-plan.test.ts). Which of them run is decided in storage-plan.ts.
 */

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

/** Where mdadm.conf lives: Debian's /etc/mdadm/, else /etc/. */
const MDADM_CONF = sh`conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf`;

export interface PlanStep {
  why: string;
  cmd: ShellCommand;
}

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
