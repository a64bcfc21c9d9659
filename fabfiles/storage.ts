import { arg, storage, task } from 'fabts';

/**
 * Stripe block devices (EBS volumes, virtio disks) into one md RAID0 array with LVM and a filesystem,
 * from the seed "A Fabric script for striping EBS volumes":
 *   fab prod stripe /dev/xvdf,/dev/xvdg,/dev/xvdh,/dev/xvdi --mount /data
 * Refuses devices that hold data unless --force; a second run changes nothing; --dry-run shows the plan.
 */

const layout = {
  vg: arg.string({ default: storage.STRIPE_DEFAULTS.vg, description: 'volume group' }),
  lv: arg.string({ default: storage.STRIPE_DEFAULTS.lv, description: 'logical volume' }),
  mount: arg.string({ default: storage.STRIPE_DEFAULTS.mount, description: 'mount point' }),
};

export const stripe = task(
  {
    description: 'Stripe devices into an md array + LVM + filesystem, mounted and in fstab (idempotent)',
    args: {
      devices: arg.list({
        description: 'block devices: /dev/xvdf,/dev/xvdg (or /dev/xvdf;/dev/xvdg)',
        check: storage.deviceArgProblems,
      }),
      level: arg.number({ default: storage.STRIPE_DEFAULTS.level, description: 'RAID level' }),
      chunk: arg.number({ default: storage.STRIPE_DEFAULTS.chunk, description: 'chunk size in KiB' }),
      readahead: arg.number({
        default: storage.STRIPE_DEFAULTS.readahead,
        description: 'read-ahead of the array, in 512-byte sectors',
      }),
      ...layout,
      size: arg.string({ description: 'LV size (lvcreate -L), default all free space' }).optional(),
      fs: arg.choice(['xfs', 'ext4'] as const, { default: storage.STRIPE_DEFAULTS.fs }),
      mountOptions: arg.string({
        default: storage.STRIPE_DEFAULTS.mountOptions,
        description: 'fstab options (nofail is added)',
      }),
      md: arg.string({ default: storage.STRIPE_DEFAULTS.md, description: 'md device to create' }),
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
