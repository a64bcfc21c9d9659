// The stripe fabfile on a real kernel: a qemu guest (store1) with three virtio disks. Booted once for
// this file (≈30 CPU-s under TCG), stopped by pid and its disks removed in afterAll.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { startGuest, type Guest } from './guest.js';
import { LAB_NETS, testRunDir } from './repo.js';
import { labSsh } from './ssh.js';

let guest: Guest;
const dir = testRunDir('guest-store1');
const run = (args: string[]) => fab(['lab', '-H', 'store1', ...args], { env: { FAB_LAB_DIR: dir } });
const onGuest = async (cmd: string) => {
  const r = await labSsh(guest.state, 'store1', cmd, { timeoutMs: 60_000 });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const DEVS = '/dev/vdb,/dev/vdc,/dev/vdd';

beforeAll(async () => {
  ({ guest } = await startGuest({ dir, net: LAB_NETS.guest }));
}, 300_000);
afterAll(async () => { await guest?.stop(); }, 60_000);

describe('stripe on a real kernel', () => {
  it('refuses a disk with a filesystem, naming it, and creates nothing', async () => {
    await onGuest('sudo mkfs.ext4 -q -F /dev/vdd');
    const r = await run(['stripe', DEVS, '--mount', '/data']);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('/dev/vdd holds a ext4 filesystem');
    expect(await onGuest('cat /proc/mdstat 2>/dev/null || true')).not.toMatch(/^md/m);
    await onGuest('sudo wipefs -a -q /dev/vdd');
  }, 120_000);

  it('fails on a missing device before any change', async () => {
    const r = await run(['stripe', '/dev/vdb,/dev/vdz', '--mount', '/data']);
    expect(r.code).not.toBe(0);
    expect(r.stderr + r.stdout).toContain('/dev/vdz: no such block device');
    expect(await onGuest('sudo blkid -p /dev/vdb || echo clean')).toContain('clean');
  }, 120_000);

  it('stripes three disks: raid0 with the chunk asked, readahead, mounted xfs that keeps a file', async () => {
    const r = await run(['stripe', DEVS, '--mount', '/data']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const mdstat = await onGuest('cat /proc/mdstat');
    expect(mdstat).toMatch(/md0 : active raid0 vdd\[2\] vdc\[1\] vdb\[0\]/);
    expect(mdstat).toContain('256k chunks');
    expect((await onGuest('sudo blockdev --getra /dev/md0')).trim()).toBe('65536');
    expect(await onGuest('findmnt -n -o FSTYPE /data')).toContain('xfs');
    await onGuest('echo kept | sudo tee /data/f >/dev/null && sudo umount /data && sudo mount /data');
    expect((await onGuest('cat /data/f')).trim()).toBe('kept');
    expect(await onGuest('cat /etc/fstab')).toMatch(/^UUID=\S+ \/data xfs noatime,nofail 0 2$/m);
  }, 300_000);

  it('a second run changes nothing and says so', async () => {
    const r = await run(['stripe', DEVS, '--mount', '/data']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('already in place, nothing changed');
    expect((await onGuest('grep -c /data /etc/fstab')).trim()).toBe('1');
  }, 180_000);

  it('after a reboot the array assembles and the filesystem is mounted from fstab', async () => {
    await guest.reboot();
    expect(await onGuest('cat /proc/mdstat')).toMatch(/md\d+ : active raid0/);
    expect((await onGuest('cat /data/f')).trim()).toBe('kept');
  }, 300_000);

  it('unstripe --force leaves the disks clean', async () => {
    expect((await run(['unstripe', DEVS, '--mount', '/data'])).code).not.toBe(0); // no --force
    const r = await run(['unstripe', DEVS, '--mount', '/data', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(await onGuest('cat /proc/mdstat')).not.toMatch(/^md/m);
    expect(await onGuest('for d in /dev/vdb /dev/vdc /dev/vdd; do sudo blkid -p $d || echo "$d clean"; done')).toBe('/dev/vdb clean\n/dev/vdc clean\n/dev/vdd clean\n');
    expect(await onGuest('cat /etc/fstab')).not.toContain('/data');
  }, 180_000);
});
