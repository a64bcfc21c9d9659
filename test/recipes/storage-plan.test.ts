import { describe, expect, it } from 'vitest';
import {
  STRIPE_DEFAULTS,
  nothingToDo,
  parseMdstat,
  refusals,
  stripePlan,
  unstripePlan,
  type DeviceFacts,
  type StackFacts,
  type StripeOptions,
} from '../../lib/recipes/storage-plan.js';

const opts: StripeOptions = { ...STRIPE_DEFAULTS, devices: ['/dev/vdb', '/dev/vdc', '/dev/vdd'], mount: '/data' };
const fresh: StackFacts = { arrayInConf: false, lvExists: false, lvFs: '', inFstab: false, mounted: false };
const done: StackFacts = {
  array: '/dev/md0',
  arrayInConf: true,
  pvVg: 'vgm0',
  lvExists: true,
  lvFs: 'xfs',
  inFstab: true,
  mounted: true,
};
const clean = (path: string): DeviceFacts => ({ path, exists: true, blkid: {}, mounts: [], partitions: [] });

const MDSTAT = `Personalities : [raid0]
md0 : active raid0 vdd[2] vdc[1] vdb[0]
      3139584 blocks super 1.2 256k chunks

md1 : active raid1 vde[1] vdf[0](F)
      1047552 blocks super 1.2 [2/1] [U_]

unused devices: <none>
`;

describe('parseMdstat', () => {
  it('reads arrays, levels, members in role order and chunk size', () => {
    expect(parseMdstat(MDSTAT)).toEqual([
      { name: 'md0', state: 'active', level: 'raid0', members: ['vdb', 'vdc', 'vdd'], chunkKb: 256 },
      { name: 'md1', state: 'active', level: 'raid1', members: ['vdf', 'vde'] },
    ]);
    expect(parseMdstat('Personalities :\nunused devices: <none>\n')).toEqual([]);
    expect(parseMdstat('md127 : inactive vdc[1](S) vdb[0](S)\n      2093056 blocks super 1.2\n')).toEqual([
      { name: 'md127', state: 'inactive', level: 'inactive', members: ['vdb', 'vdc'] },
    ]);
  });
});

describe('stripe plan (golden commands)', () => {
  it('builds the whole stack on fresh devices, in the seed order', () => {
    expect(stripePlan(opts, fresh).map((s) => s.cmd.display)).toEqual([
      'mdadm --create /dev/md0 --run --level=0 --chunk=256 --raid-devices=3 /dev/vdb /dev/vdc /dev/vdd',
      `conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf; u=$(mdadm --detail --export /dev/md0 | sed -n 's/^MD_UUID=//p'); grep -qs "UUID=$u" "$conf" || { mdadm --detail --brief /dev/md0 >> "$conf" && { ! command -v update-initramfs >/dev/null || update-initramfs -u; }; }`,
      'blockdev --setra 65536 /dev/md0',
      'pvcreate /dev/md0',
      'vgcreate vgm0 /dev/md0',
      'lvcreate -y -n lvm0 -l 100%FREE vgm0',
      'mkfs.xfs -q /dev/vgm0/lvm0',
      `u=$(blkid -s UUID -o value /dev/vgm0/lvm0) && [ -n "$u" ] && { grep -q "^UUID=$u " /etc/fstab || printf 'UUID=%s %s %s %s 0 2\\n' "$u" /data xfs noatime,nofail >> /etc/fstab; }`,
      'mkdir -p /data && mount /data',
    ]);
  });

  it('uses --size, ext4, and quotes odd values', () => {
    const cmds = stripePlan(
      { ...opts, size: '400G', fs: 'ext4', mount: '/mnt/my data', mountOptions: 'noatime,discard' },
      fresh,
    ).map((s) => s.cmd.display);
    expect(cmds).toContain('lvcreate -y -n lvm0 -L 400G vgm0');
    expect(cmds).toContain('mkfs.ext4 -q /dev/vgm0/lvm0');
    expect(cmds.at(-1)).toBe("mkdir -p '/mnt/my data' && mount '/mnt/my data'");
  });

  it('keeps what exists: a complete stack only resets the read-ahead', () => {
    const steps = stripePlan(opts, done);
    expect(steps.map((s) => s.cmd.display)).toEqual(['blockdev --setra 65536 /dev/md0']);
    expect(nothingToDo(steps)).toBe(true);
    expect(nothingToDo(stripePlan(opts, fresh))).toBe(false);
  });

  it('reuses an array under another name and only mounts what is missing', () => {
    const cmds = stripePlan(opts, { ...done, array: '/dev/md127', mounted: false }).map((s) => s.cmd.display);
    expect(cmds).toEqual(['blockdev --setra 65536 /dev/md127', 'mkdir -p /data && mount /data']);
  });

  it('creates the VG on an existing bare PV', () => {
    const cmds = stripePlan(opts, { ...fresh, array: '/dev/md0', arrayInConf: true, pvVg: '' }).map(
      (s) => s.cmd.display,
    );
    expect(cmds.slice(0, 2)).toEqual(['blockdev --setra 65536 /dev/md0', 'vgcreate vgm0 /dev/md0']);
  });
});

describe('safety checks', () => {
  const facts = opts.devices.map(clean);
  it('accepts clean devices', () => {
    expect(refusals(opts, facts, [])).toEqual({ missing: [], inUse: [] });
  });

  it('names each device and what is on it', () => {
    const dirty: DeviceFacts[] = [
      { ...clean('/dev/vdb'), blkid: { TYPE: 'ext4', UUID: 'x' }, mounts: ['/srv'] },
      { ...clean('/dev/vdc'), blkid: { PTTYPE: 'gpt' }, partitions: ['/dev/vdc1'] },
      { ...clean('/dev/vdd'), blkid: { TYPE: 'LVM2_member' }, vg: 'vg0' },
    ];
    expect(refusals(opts, dirty, []).inUse).toEqual([
      '/dev/vdb holds a ext4 filesystem, mounted on /srv',
      '/dev/vdc holds a gpt partition table, partitions /dev/vdc1',
      '/dev/vdd holds a physical volume of volume group vg0',
    ]);
  });

  it('refuses members of another array but not of the array it would reuse', () => {
    const raid = { ...clean('/dev/vdb'), blkid: { TYPE: 'linux_raid_member' } };
    const other = [{ name: 'md5', state: 'active', level: 'raid1', members: ['vdb', 'vde'] }];
    expect(refusals(opts, [raid, ...facts.slice(1)], other).inUse).toEqual(['/dev/vdb holds member of array /dev/md5']);
    const ours = [{ name: 'md0', state: 'active', level: 'raid0', members: ['vdd', 'vdc', 'vdb'] }];
    expect(refusals(opts, [raid, ...facts.slice(1)], ours).inUse).toEqual([]);
    expect(refusals(opts, [raid, ...facts.slice(1)], []).inUse).toEqual([
      '/dev/vdb holds an md superblock (linux_raid_member)',
    ]);
  });

  it('reports missing and repeated devices apart from data', () => {
    const o = { ...opts, devices: ['/dev/vdb', '/dev/vdb', '/dev/nope'] };
    const r = refusals(o, [clean('/dev/vdb'), clean('/dev/vdb'), { ...clean('/dev/nope'), exists: false }], []);
    expect(r.missing).toEqual(['/dev/nope: no such block device', '/dev/vdb: given twice']);
  });
});

describe('unstripe plan', () => {
  it('tears down in reverse order and wipes the members', () => {
    expect(unstripePlan(opts, '/dev/md0').map((s) => s.cmd.display)).toEqual([
      '! mountpoint -q /data || umount /data',
      `u=$(blkid -s UUID -o value /dev/vgm0/lvm0 2>/dev/null); [ -z "$u" ] || sed -i "\\|^UUID=$u |d" /etc/fstab`,
      '{ ! lvs /dev/vgm0/lvm0 >/dev/null 2>&1 || lvremove -y /dev/vgm0/lvm0; } && ' +
        '{ ! vgs vgm0 >/dev/null 2>&1 || vgremove -y vgm0; } && { ! pvs /dev/md0 >/dev/null 2>&1 || pvremove -y /dev/md0; }',
      'conf=/etc/mdadm/mdadm.conf; [ -d /etc/mdadm ] || conf=/etc/mdadm.conf; ' +
        `u=$(mdadm --detail --export /dev/md0 2>/dev/null | sed -n 's/^MD_UUID=//p'); ` +
        '[ -z "$u" ] || [ ! -f "$conf" ] || sed -i "/UUID=$u/d" "$conf"',
      '[ ! -b /dev/md0 ] || mdadm --stop /dev/md0',
      'mdadm --zero-superblock /dev/vdb /dev/vdc /dev/vdd 2>/dev/null; wipefs -a /dev/vdb /dev/vdc /dev/vdd',
    ]);
  });
});
