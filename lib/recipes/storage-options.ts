/**
 * What a stripe run is asked for: its options, their defaults, and the checks of the arguments that need no host.
 * Pure; storage-plan.ts decides and storage-steps.ts builds the commands from these options.
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

export const lvPath = (o: Pick<StripeOptions, 'vg' | 'lv'>): string => `/dev/${o.vg}/${o.lv}`;
