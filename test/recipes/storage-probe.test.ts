// The stripe recipe from probe text to exact commands: what each read-only probe prints in, the plan out.
// These are the answers a scripted transport gives; storage.ts only runs the probes and the steps.
import { describe, expect, it } from 'vitest';
import {
  STRIPE_DEFAULTS,
  checkStripe,
  deviceArgProblems,
  failedStep,
  layoutArgProblems,
  planStripe,
  stepsScript,
  type StripeOptions,
} from '../../lib/recipes/storage-plan.js';
import {
  deviceProbe,
  firstProbe,
  parsePvs,
  parseStackProbe,
  splitFirstProbe,
  stackProbe,
  toolsProbe,
} from '../../lib/recipes/storage-probe.js';

const o: StripeOptions = { ...STRIPE_DEFAULTS, devices: ['/dev/vdb', '/dev/vdc', '/dev/vdd'], mount: '/data' };
const NO_MD = 'Personalities : \nunused devices: <none>\n';
const blank = (...devs: string[]) => devs.map((d) => `@dev ${d}\n@exists\n@lsblk ${d.slice(5)} disk \n`).join('');
const FRESH_STACK = 'fs=\nmounted=\n';

const CREATE = 'mdadm --create /dev/md0 --run --level=0 --chunk=256 --raid-devices=3 /dev/vdb /dev/vdc /dev/vdd';
const conf = (md: string) =>
  `conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf; u=$(mdadm --detail --export ${md} | sed -n 's/^MD_UUID=//p'); grep -qs "UUID=$u" "$conf" || { mdadm --detail --brief ${md} >> "$conf" && { ! command -v update-initramfs >/dev/null || update-initramfs -u; }; }`;
const FSTAB = `u=$(blkid -s UUID -o value /dev/vgm0/lvm0) && [ -n "$u" ] && { grep -q "^UUID=$u " /etc/fstab || printf 'UUID=%s %s %s %s 0 2\\n' "$u" /data xfs noatime,nofail >> /etc/fstab; }`;
const MOUNT = 'mkdir -p /data && mount /data';
const WIPE = 'mdadm --zero-superblock /dev/vdb /dev/vdc /dev/vdd 2>/dev/null; wipefs -a /dev/vdb /dev/vdc /dev/vdd';
const FULL = [
  CREATE,
  conf('/dev/md0'),
  'blockdev --setra 65536 /dev/md0',
  'pvcreate /dev/md0',
  'vgcreate vgm0 /dev/md0',
  'lvcreate -y -n lvm0 -l 100%FREE vgm0',
  'mkfs.xfs -q /dev/vgm0/lvm0',
  FSTAB,
  MOUNT,
];

interface Case {
  name: string;
  opts?: Partial<StripeOptions>;
  devices: string;
  pvs?: string;
  mdstat?: string;
  stack?: string;
  /** the md the stack probe asks about */
  md?: string;
  refused?: string;
  problem?: string;
  cmds?: string[];
  idle?: boolean;
}

const MD0 =
  'Personalities : [raid0]\nmd0 : active raid0 vdd[2] vdc[1] vdb[0]\n      3139584 blocks super 1.2 256k chunks\n\nunused devices: <none>\n';
const MD127 = MD0.replace('md0 :', 'md127 :');

const cases: Case[] = [
  {
    name: 'fresh disks: the whole stack, in the seed order',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    cmds: FULL,
    idle: false,
  },
  {
    name: 'one disk with xfs: refused, naming it and what is on it',
    devices:
      blank('/dev/vdb') + '@dev /dev/vdc\n@exists\nUUID=1b2c\nTYPE=xfs\n@lsblk vdc disk /srv\n' + blank('/dev/vdd'),
    refused:
      'refusing to stripe over data:\n  /dev/vdc holds a xfs filesystem, mounted on /srv\n  nothing changed; pass --force to destroy it',
  },
  {
    name: 'one disk with xfs and --force: wiped first, then the whole stack',
    opts: { force: true },
    devices: blank('/dev/vdb') + '@dev /dev/vdc\n@exists\nTYPE=xfs\n@lsblk vdc disk \n' + blank('/dev/vdd'),
    cmds: [WIPE, ...FULL],
  },
  {
    name: 'a device missing on the host: refused after the probe',
    devices: blank('/dev/vdb', '/dev/vdc') + '@dev /dev/vdz\n',
    opts: { devices: ['/dev/vdb', '/dev/vdc', '/dev/vdz'] },
    refused: '/dev/vdz: no such block device; nothing changed',
  },
  {
    name: 'an array with the same members (assembled as md127, not yet in mdadm.conf): reused, the rest built',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd').replace(/@exists\n/g, '@exists\nTYPE=linux_raid_member\n'),
    mdstat: MD127,
    md: '/dev/md127',
    cmds: [
      conf('/dev/md127'),
      'blockdev --setra 65536 /dev/md127',
      'pvcreate /dev/md127',
      'vgcreate vgm0 /dev/md127',
      'lvcreate -y -n lvm0 -l 100%FREE vgm0',
      'mkfs.xfs -q /dev/vgm0/lvm0',
      FSTAB,
      MOUNT,
    ],
  },
  {
    name: 'existing VG and LV without a filesystem: mkfs, fstab, mount',
    mdstat: MD0,
    pvs: '  /dev/md0|vgm0\n',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    stack: 'inconf\nvg\nlv\nfs=\nmounted=\n',
    cmds: ['blockdev --setra 65536 /dev/md0', 'mkfs.xfs -q /dev/vgm0/lvm0', FSTAB, MOUNT],
  },
  {
    name: 'LV with xfs, fstab line present, not mounted: only mount',
    mdstat: MD0,
    pvs: '  /dev/md0|vgm0\n',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    stack: 'inconf\nvg\nlv\nfs=xfs\nfstab\nmounted=\n',
    cmds: ['blockdev --setra 65536 /dev/md0', MOUNT],
    idle: false,
  },
  {
    name: 'everything in place and mounted: only the read-ahead, idle',
    mdstat: MD0,
    pvs: '  /dev/md0|vgm0\n',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    stack: 'inconf\nvg\nlv\nfs=xfs\nfstab\nmounted=/dev/mapper/vgm0-lvm0\n',
    cmds: ['blockdev --setra 65536 /dev/md0'],
    idle: true,
  },
  {
    name: 'the same members as raid1: stop',
    mdstat: MD0.replace('active raid0', 'active raid1').replace(' 256k chunks', ' [3/3] [UUU]'),
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    problem:
      '/dev/md0 already has these devices as raid1, not raid0 with 256k chunks; nothing changed (unstripe it first)',
  },
  {
    name: 'the same members with 64k chunks: stop',
    mdstat: MD0.replace('256k', '64k'),
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    problem:
      '/dev/md0 already has these devices as raid0 with 64k chunks, not raid0 with 256k chunks; nothing changed (unstripe it first)',
  },
  {
    name: 'the VG name is taken by other devices: stop',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    stack: 'vg\nfs=\nmounted=\n',
    problem: 'volume group vgm0 already exists on other devices; nothing changed (choose another --vg)',
  },
  {
    name: 'the array is a PV of another VG: stop',
    mdstat: MD0,
    pvs: '  /dev/md0|data\n',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    problem: '/dev/md0 is already in volume group data, not vgm0; nothing changed',
  },
  {
    name: 'the LV holds ext4 when xfs is asked: stop',
    mdstat: MD0,
    pvs: '  /dev/md0|vgm0\n',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    stack: 'inconf\nvg\nlv\nfs=ext4\nmounted=\n',
    problem: '/dev/vgm0/lvm0 holds ext4, not xfs; nothing changed',
  },
  {
    name: 'something else is mounted on the mount point: stop before creating anything',
    devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'),
    stack: 'fs=\nmounted=/dev/sda3\n',
    problem: '/data already has /dev/sda3 mounted on it; nothing changed (choose another --mount)',
  },
];

describe('stripe from probe answers to exact commands', () => {
  it.each(cases)('$name', (c) => {
    const opts = { ...o, ...c.opts };
    const check = checkStripe(opts, { devices: c.devices, pvs: c.pvs ?? '', mdstat: c.mdstat ?? NO_MD });
    expect(check.refused).toBe(c.refused);
    if (c.refused) return;
    expect(check.next.display).toBe(
      stackProbe({ md: c.md ?? '/dev/md0', vg: 'vgm0', lv: 'lvm0', mount: '/data' }).display,
    );
    const plan = planStripe(opts, check, c.stack ?? FRESH_STACK);
    if (c.problem) return expect(plan).toEqual({ problem: c.problem });
    if ('problem' in plan) throw new Error(plan.problem);
    expect(plan.steps.map((s) => s.cmd.display)).toEqual(c.cmds);
    if (c.idle !== undefined) expect(plan.idle).toBe(c.idle);
  });
});

describe('probe commands (golden)', () => {
  it('quotes every device and reads each one in one script', () => {
    expect(deviceProbe(['/dev/vdb', "/dev/it's"]).display).toBe(
      `for d in /dev/vdb '/dev/it'\\''s'; do echo "@dev $d"; [ -b "$d" ] || continue; echo "@exists"; blkid -p -o export -- "$d" 2>/dev/null; lsblk -nr -o NAME,TYPE,MOUNTPOINT -- "$d" | sed 's/^/@lsblk /'; done`,
    );
    expect(toolsProbe('ext4').display).toBe(
      'for c in mdadm pvcreate mkfs.ext4; do command -v $c >/dev/null || echo $c; done',
    );
  });

  it('asks about the rest of the stack in one round trip', () => {
    expect(stackProbe({ md: '/dev/md0', vg: 'vgm0', lv: 'lvm0', mount: '/my data' }).display).toBe(
      `u=$(mdadm --detail --export /dev/md0 2>/dev/null | sed -n 's/^MD_UUID=//p'); [ -z "$u" ] || ! grep -qs "UUID=$u" /etc/mdadm/mdadm.conf /etc/mdadm.conf || echo inconf; ! vgs vgm0 >/dev/null 2>&1 || echo vg; ! lvs vgm0/lvm0 >/dev/null 2>&1 || echo "lv"; echo "fs=$(blkid -s TYPE -o value /dev/vgm0/lvm0 2>/dev/null)"; f=$(blkid -s UUID -o value /dev/vgm0/lvm0 2>/dev/null); [ -z "$f" ] || ! grep -q "^UUID=$f " /etc/fstab || echo fstab; echo "mounted=$(findmnt -n -o SOURCE --mountpoint '/my data' 2>/dev/null)"`,
    );
    expect(parseStackProbe('inconf\nvg\nlv\nfs=xfs\nfstab\nmounted=/dev/mapper/vgm0-lvm0\n')).toEqual({
      inConf: true,
      vgExists: true,
      lvExists: true,
      lvFs: 'xfs',
      inFstab: true,
      mountedSource: '/dev/mapper/vgm0-lvm0',
    });
    expect(parsePvs('  /dev/md0|vgm0\n  /dev/sdb|\n')).toEqual(
      new Map([
        ['/dev/md0', 'vgm0'],
        ['/dev/sdb', ''],
      ]),
    );
  });
});

describe('one round trip each: the first probes, then the steps', () => {
  it('runs tools, pvs, mdstat and the devices in one script and splits the answer back', () => {
    expect(firstProbe('xfs', ['/dev/vdb']).display).toBe(
      `echo @@tools; for c in mdadm pvcreate mkfs.xfs; do command -v $c >/dev/null || echo $c; done; echo @@pvs; pvs --noheadings --separator '|' -o pv_name,vg_name 2>/dev/null; echo @@mdstat; cat /proc/mdstat 2>/dev/null; echo @@devices; ${deviceProbe(['/dev/vdb']).display}`,
    );
    const answer = `@@tools\nmkfs.xfs\n@@pvs\n  /dev/md0|vgm0\n@@mdstat\n${MD0}@@devices\n${blank('/dev/vdb', '/dev/vdc', '/dev/vdd')}`;
    const split = splitFirstProbe(answer);
    expect(split).toEqual({
      tools: 'mkfs.xfs\n',
      pvs: '  /dev/md0|vgm0\n',
      mdstat: MD0,
      devices: `${blank('/dev/vdb', '/dev/vdc', '/dev/vdd')}\n`,
    });
    expect(checkStripe(o, split).reused?.name).toBe('md0');
  });

  it('chains the steps with a marker before each, and finds where a failed run stopped', () => {
    const plan = planStripe(
      o,
      checkStripe(o, { devices: blank('/dev/vdb', '/dev/vdc', '/dev/vdd'), pvs: '', mdstat: NO_MD }),
      FRESH_STACK,
    );
    if ('problem' in plan) throw new Error(plan.problem);
    expect(stepsScript(plan.steps.slice(0, 2)).display).toBe(
      `echo @step 0 && { ${CREATE}; } && echo @step 1 && { ${conf('/dev/md0')}; }`,
    );
    expect(failedStep('@step 0\nmdadm: array /dev/md0 started.\n@step 1\n@step 2\n')).toBe(2);
    expect(failedStep('')).toBe(0);
  });
});

describe('device arguments (usage errors before any connection)', () => {
  it.each([
    [['/dev/vdb', '/dev/vdc'], []],
    [['/dev/disk/by-id/virtio-fabts-vdb', '/dev/nvme1n1'], []],
    [['vdb'], ['"vdb" is not a device path (write /dev/vdb)']],
    [['/tmp/disk.img'], ['"/tmp/disk.img" is not a device path (write /dev/tmp/disk.img)']],
    [['/dev/../etc/passwd'], ['"/dev/../etc/passwd" is not a valid device path']],
    [['/dev/vd b'], ['"/dev/vd b" is not a valid device path']],
    [['/dev/vdb', '/dev/vdc', '/dev/vdb'], ['/dev/vdb given twice']],
  ])('%j -> %j', (devices, problems) => {
    expect(deviceArgProblems(devices)).toEqual(problems);
  });
});

describe('layout arguments (usage errors before any command)', () => {
  const ok = { md: '/dev/md0', vg: 'vgm0', lv: 'lvm0', mount: '/data' };
  it.each([
    [ok, []],
    [{ ...ok, md: '/dev/md/data', vg: 'vg_data-1', mount: '/srv/my data' }, []],
    [{ ...ok, md: 'md0' }, ['--md "md0" is not an md device (write /dev/md0)']],
    [{ ...ok, md: '/dev/sdb' }, ['--md "/dev/sdb" is not an md device (write /dev/md0)']],
    [
      { ...ok, vg: '-x', lv: 'a/b' },
      [
        '--vg "-x" is not a valid LVM name (letters, digits, + _ . -)',
        '--lv "a/b" is not a valid LVM name (letters, digits, + _ . -)',
      ],
    ],
    [{ ...ok, mount: 'data' }, ['--mount "data" must be an absolute path other than /']],
    [{ ...ok, mount: '/' }, ['--mount "/" must be an absolute path other than /']],
  ])('%j -> %j', (layout, problems) => {
    expect(layoutArgProblems(layout)).toEqual(problems);
  });
});
