import { join, sh, type ShellCommand } from '../commands/quote.js';

/**
 * The stripe recipe's read-only probes: the exact commands (pure builders) and parsers of what they print.
 * lib/recipes/storage.ts runs them; storage-plan.ts turns the parsed facts into a plan. No I/O here, so a
 * scripted transport (or a table test) can answer each probe with text and check the commands that follow.
 */

export interface MdArray {
  name: string;
  /** active, inactive */
  state: string;
  level: string;
  /** kernel names, sorted by role: ['vdb', 'vdc'] */
  members: string[];
  chunkKb?: number;
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

export const MDSTAT_PROBE: ShellCommand = sh`cat /proc/mdstat 2>/dev/null`;
export const PVS_PROBE: ShellCommand = sh`pvs --noheadings --separator '|' -o pv_name,vg_name 2>/dev/null`;

/** Which of the tools the plan needs are missing (one name per line). */
export const toolsProbe = (fs: 'xfs' | 'ext4'): ShellCommand =>
  sh`for c in mdadm pvcreate ${fs === 'xfs' ? 'mkfs.xfs' : 'mkfs.ext4'}; do command -v $c >/dev/null || echo $c; done`;

/** What deviceProbe prints for the device in $d. */
const DEVICE_FACTS = join(
  [
    sh`echo "@dev $d"`,
    sh`[ -b "$d" ] || continue`,
    sh`echo "@exists"`,
    sh`blkid -p -o export -- "$d" 2>/dev/null`,
    sh`lsblk -nr -o NAME,TYPE,MOUNTPOINT -- "$d" | sed 's/^/@lsblk /'`,
  ],
  '; ',
);

/**
 * blkid and lsblk for each device, in one round trip: `@dev PATH`, `@exists`, blkid lines,
 * `@lsblk NAME TYPE MOUNT`.
 */
export const deviceProbe = (devices: readonly string[]): ShellCommand =>
  sh`for d in ${devices}; do ${DEVICE_FACTS}; done`;

/** A section of firstProbe: the `@@name` line, then what the probe prints. */
const section = (name: string, probe: ShellCommand): ShellCommand => sh`echo @@${name}; ${probe}`;

/**
 * The first probes in one root shell (on a slow host every sudo costs): tools, pvs, mdstat, then the devices,
 * each section after an `@@name` line. splitFirstProbe gives each section back.
 */
export const firstProbe = (fs: 'xfs' | 'ext4', devices: readonly string[]): ShellCommand =>
  join(
    [
      section('tools', toolsProbe(fs)),
      section('pvs', PVS_PROBE),
      section('mdstat', MDSTAT_PROBE),
      section('devices', deviceProbe(devices)),
    ],
    '; ',
  );

export function splitFirstProbe(text: string): { tools: string; pvs: string; mdstat: string; devices: string } {
  const out = { tools: '', pvs: '', mdstat: '', devices: '' };
  let key: keyof typeof out | undefined;
  for (const line of text.split('\n')) {
    const m = /^@@(tools|pvs|mdstat|devices)$/.exec(line);
    if (m) key = m[1] as keyof typeof out;
    else if (key) out[key] += `${line}\n`;
  }
  return out;
}

/** `/proc/mdstat` -> arrays. `md0 : active raid0 vdd[2] vdc[1] vdb[0]` then `... 256k chunks`. */
export function parseMdstat(text: string): MdArray[] {
  const out: MdArray[] = [];
  const lines = text.split('\n');
  lines.forEach((line, i) => {
    const m = /^(md\S*)\s*:\s*(\S+)\s+(?:\(\S+\)\s+)?(raid\d+|linear)?\s*(.*)$/.exec(line);
    if (!m) return;
    const members = (m[4] ?? '')
      .split(/\s+/)
      .filter(Boolean)
      .map((w) => /^([^[\s]+)\[(\d+)\]/.exec(w))
      .filter((x): x is RegExpExecArray => !!x)
      .sort((a, b) => Number(a[2]) - Number(b[2]))
      .map((x) => x[1]!);
    const chunk = /(\d+)k chunk/.exec(lines[i + 1] ?? '');
    out.push({
      name: m[1]!,
      state: m[2]!,
      level: m[3] ?? m[2]!,
      members,
      ...(chunk ? { chunkKb: Number(chunk[1]) } : {}),
    });
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

/** PVS_PROBE -> PV path -> VG name ('' when in no VG). Empty without lvm2. */
export function parsePvs(text: string): Map<string, string> {
  const rows = text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .map((l) => l.split('|'));
  return new Map(rows.map(([pv = '', vg = '']): [string, string] => [pv.trim(), vg.trim()]));
}

/** deviceProbe output (+ parsed pvs) -> facts per device, in the order given. */
export function parseDeviceProbe(text: string, pvs: ReadonlyMap<string, string>): DeviceFacts[] {
  const facts: DeviceFacts[] = [];
  for (const block of text.split('@dev ').slice(1)) {
    const [path = '', ...lines] = block.split('\n');
    const lsblk = lines.filter((l) => l.startsWith('@lsblk ')).map((l) => l.slice(7).split(' '));
    const vg = pvs.get(path);
    facts.push({
      path,
      exists: lines.includes('@exists'),
      blkid: parseExport(lines.filter((l) => !l.startsWith('@')).join('\n')),
      // only the disk and its partitions: an array or LV built on it shows up in lsblk too (its own checks cover it)
      mounts: lsblk
        .filter((r) => r[1] === 'disk' || r[1] === 'part')
        .map((r) => (r[2] ?? '').replace(/\\x20/g, ' '))
        .filter(Boolean),
      partitions: lsblk.filter((r) => r[1] === 'part').map((r) => `/dev/${r[0]}`),
      ...(vg !== undefined ? { vg } : {}),
    });
  }
  return facts;
}

/** The part of the stack a stripe run may find already built: md device, VG, LV, mount point. */
export interface StackTarget {
  md: string;
  vg: string;
  lv: string;
  mount: string;
}

/**
 * One round trip for the rest of the stack: `inconf` (mdadm.conf lists the md's UUID), `vg` (the VG exists),
 * `lv` and `fs=TYPE` (the LV and its filesystem), `fstab` (a line for the LV's UUID), `mounted=SOURCE`.
 */
export const stackProbe = (t: StackTarget): ShellCommand => {
  const lv = `/dev/${t.vg}/${t.lv}`;
  return join(
    [
      sh`u=$(mdadm --detail --export ${t.md} 2>/dev/null | sed -n 's/^MD_UUID=//p')`,
      sh`[ -z "$u" ] || ! grep -qs "UUID=$u" /etc/mdadm/mdadm.conf /etc/mdadm.conf || echo inconf`,
      sh`! vgs ${t.vg} >/dev/null 2>&1 || echo vg`,
      sh`! lvs ${`${t.vg}/${t.lv}`} >/dev/null 2>&1 || echo "lv"`,
      sh`echo "fs=$(blkid -s TYPE -o value ${lv} 2>/dev/null)"`,
      sh`f=$(blkid -s UUID -o value ${lv} 2>/dev/null)`,
      sh`[ -z "$f" ] || ! grep -q "^UUID=$f " /etc/fstab || echo fstab`,
      sh`echo "mounted=$(findmnt -n -o SOURCE --mountpoint ${t.mount} 2>/dev/null)"`,
    ],
    '; ',
  );
};

export interface StackProbe {
  inConf: boolean;
  vgExists: boolean;
  lvExists: boolean;
  /** filesystem TYPE on the LV path, '' when none */
  lvFs: string;
  inFstab: boolean;
  /** what is mounted on the mount point, '' when nothing */
  mountedSource: string;
}

export function parseStackProbe(text: string): StackProbe {
  const lines = text.split('\n').map((l) => l.trim());
  const value = (k: string) => lines.find((l) => l.startsWith(`${k}=`))?.slice(k.length + 1) ?? '';
  return {
    inConf: lines.includes('inconf'),
    vgExists: lines.includes('vg'),
    lvExists: lines.includes('lv'),
    lvFs: value('fs'),
    inFstab: lines.includes('fstab'),
    mountedSource: value('mounted'),
  };
}

/** The names a mounted LV shows in findmnt: /dev/mapper/vg-lv (dashes doubled) or /dev/vg/lv. */
export const lvSources = (vg: string, lv: string): string[] => [
  `/dev/mapper/${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`,
  `/dev/${vg}/${lv}`,
];
