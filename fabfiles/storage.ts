import { arg, storage, task } from 'fabts';

/**
 * Stripe block devices (EBS volumes, virtio disks) into one md RAID0 array with LVM and a filesystem,
 * from the seed "A Fabric script for striping EBS volumes":
 *   fab prod stripe /dev/xvdf,/dev/xvdg,/dev/xvdh,/dev/xvdi --mount /data
 * Refuses devices that hold data unless --force; a second run changes nothing; --dry-run shows the plan.
 */

const layout = {
  vg: arg.string({ default: 'vgm0', description: 'volume group' }),
  lv: arg.string({ default: 'lvm0', description: 'logical volume' }),
  mount: arg.string({ default: '/mnt/lvm0', description: 'mount point' }),
};

export const stripe = task(
  {
    description: 'Stripe devices into an md array + LVM + filesystem, mounted and in fstab (idempotent)',
    args: {
      devices: arg.list({
        description: 'block devices: /dev/xvdf,/dev/xvdg (or /dev/xvdf;/dev/xvdg)',
        check: storage.deviceArgProblems,
      }),
      level: arg.number({ default: 0, description: 'RAID level' }),
      chunk: arg.number({ default: 256, description: 'chunk size in KiB' }),
      readahead: arg.number({ default: 65536, description: 'read-ahead of the array, in 512-byte sectors' }),
      ...layout,
      size: arg.string({ description: 'LV size (lvcreate -L), default all free space' }).optional(),
      fs: arg.choice(['xfs', 'ext4'] as const, { default: 'xfs' }),
      mountOptions: arg.string({ default: 'noatime', description: 'fstab options (nofail is added)' }),
      md: arg.string({ default: '/dev/md0', description: 'md device to create' }),
      force: arg.boolean({ default: false, description: 'destroy what is on the devices' }),
    },
  },
  (ctx, a) => storage.stripe(ctx, { ...a, ...(a.size ? { size: a.size } : {}) }),
);

export const unstripe = task(
  {
    description: 'Unmount, drop fstab line, LV, VG, PV, stop the array and wipe the devices (needs --force)',
    args: {
      devices: arg.list({ description: 'the array members', check: storage.deviceArgProblems }),
      ...layout,
      force: arg.boolean({ default: false }),
    },
  },
  (ctx, a) => storage.unstripe(ctx, a),
);

export const storageStatus = task(
  { description: 'Show md arrays, members, LVs, mounts and read-ahead' },
  async (ctx) => {
    const s = await storage.storageStatus(ctx);
    for (const a of s.arrays)
      ctx.log(
        `/dev/${a.name} ${a.state} ${a.level} ${a.members.join(' ')}${a.chunkKb ? ` ${a.chunkKb}k chunks` : ''} readahead ${s.readahead[`/dev/${a.name}`]}`,
      );
    for (const l of s.lvs) ctx.log(`lv ${l}`);
    for (const m of s.mounts) ctx.log(`mount ${m}`);
    if (!s.arrays.length) ctx.log('no md arrays');
    return s;
  },
);
