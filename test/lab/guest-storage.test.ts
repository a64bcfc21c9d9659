// The stripe fabfile on a real kernel: a lab whose only host is the qemu guest store1 (three virtio disks),
// started through the lab CLI (`lab up --web 0 --guest`) once for this file (≈30 CPU-s per boot under TCG)
// and stopped by the CLI's `down` in the last test, which must kill qemu by pid and remove the disks.
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STRIPE_DEFAULTS, stripePlan } from '../../lib/recipes/storage-plan.js';
import { fab } from '../helpers/fab.js';
import { main as labCli } from './cli.js';
import { GUEST_SSH_ARGS, labGuest, type Guest } from './guest.js';
import { loadLab } from './lab.js';
import { isAlive } from './proc.js';
import { LAB_NETS, testRunDir } from './repo.js';
import { labSsh } from './ssh.js';

let guest: Guest;
const dir = testRunDir('lab-guest');
// -t 30 and GUEST_SSH_ARGS: the emulated guest's sshd may take longer than the default 10 s/5 s to answer
const run = (args: string[]) => fab(['lab', '-H', 'store1', '-t', '30', ...args], { env: { FAB_LAB_DIR: dir } });
const onGuest = async (cmd: string) => {
  const r = await labSsh(guest.state, 'store1', cmd, { args: GUEST_SSH_ARGS, timeoutMs: 90_000 });
  if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
  return r.stdout;
};
const cli = async (argv: string[]) => {
  const lines: string[] = [];
  const code = await labCli(argv, (l) => lines.push(l));
  return { code, out: lines.join('\n') };
};
const DEVS = '/dev/vdb,/dev/vdc,/dev/vdd';
const BLANK = '/dev/vdb clean\n/dev/vdc clean\n/dev/vdd clean\n';
const blankDisks = () => onGuest('for d in /dev/vdb /dev/vdc /dev/vdd; do sudo blkid -p $d || echo "$d clean"; done');

beforeAll(async () => {
  const up = await cli(['up', '--dir', dir, '--net', String(LAB_NETS.guest), '--web', '0', '--guest']);
  expect(up.code, up.out).toBe(0);
  guest = labGuest((await loadLab(dir)).state);
}, 300_000);
afterAll(async () => {
  if (existsSync(`${dir}/lab.json`)) await (await loadLab(dir)).remove();
}, 60_000);

describe('the guest in the lab', () => {
  it('is a lab host like any other: fab lab -H store1, lab status', async () => {
    const r = await run(['--', 'cat /proc/mdstat']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/\[store1\] out: Personalities :/);
    const st = await cli(['status', '--dir', dir]);
    expect(st.out).toMatch(/store1\s+127\.\d+\.0\.254:2222\s+storage\s+\d+\s+up/);
  }, 60_000);
});

describe('stripe on a real kernel', () => {
  it('--dry-run prints every command of the plan after the probes, and changes nothing', async () => {
    const r = await run(['stripe', DEVS, '--mount', '/data', '--dry-run']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    const plan = stripePlan(
      { ...STRIPE_DEFAULTS, devices: DEVS.split(','), mount: '/data' },
      { arrayInConf: false, lvExists: false, lvFs: '', inFstab: false, mounted: false },
    );
    const shown = r.stdout.split('\n').filter((l) => l.includes('] would ') && !/\] would (sudo|run|local): /.test(l));
    expect(shown.map((l) => l.replace(/^.*\] would /, 'would '))).toEqual(
      plan.map((s) => `would ${s.why}: ${s.cmd.display}`),
    );
    expect(r.stdout).toContain(`dry run: ${plan.length} steps planned for /dev/md0 on /data, nothing changed`);
    expect(await blankDisks()).toBe(BLANK);
    expect(await onGuest('cat /proc/mdstat; cat /etc/fstab; ls -d /data 2>&1 || true')).not.toMatch(/^md|\/data$/m);
  }, 120_000);

  it('refuses a disk with a filesystem, naming it, and creates nothing', async () => {
    await onGuest('sudo mkfs.ext4 -q -F /dev/vdd');
    try {
      const r = await run(['stripe', DEVS, '--mount', '/data']);
      expect(r.code).toBe(1);
      expect(r.stderr + r.stdout).toContain('/dev/vdd holds a ext4 filesystem');
      expect(await onGuest('cat /proc/mdstat 2>/dev/null || true')).not.toMatch(/^md/m);
    } finally {
      await onGuest('sudo wipefs -a -q /dev/vdd'); // later tests need the disk blank
    }
  }, 120_000);

  it('a device missing on the host fails after the read-only probe, before any change', async () => {
    const r = await run(['stripe', '/dev/vdb,/dev/vdz', '--mount', '/data']);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toContain('/dev/vdz: no such block device; nothing changed');
    expect(await blankDisks()).toBe(BLANK);
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

  it('storageStatus shows the array, members, state, chunks, read-ahead, the LV and the mount as the kernel has them', async () => {
    await onGuest('sudo blockdev --setra 4096 /dev/md0'); // a value stripe did not set: status must read the real one
    const r = await run(['storageStatus']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('[store1] /dev/md0 active raid0 vdb vdc vdd 256k chunks readahead 4096');
    const size = (await onGuest('sudo lvs --noheadings -o lv_size vgm0/lvm0')).trim();
    expect(r.stdout).toContain(`[store1] lv vgm0 lvm0 ${size} /dev/md0(0)`);
    const opts = (await onGuest('findmnt -n -o OPTIONS /data')).trim();
    expect(r.stdout).toContain(`[store1] mount /dev/mapper/vgm0-lvm0 /data xfs ${opts} 0 0`);
  }, 120_000);

  it('a second run changes nothing and says so (the read-ahead set again)', async () => {
    const r = await run(['stripe', DEVS, '--mount', '/data']);
    expect(r.code, r.stderr + r.stdout).toBe(0);
    expect(r.stdout).toContain('already in place, nothing changed');
    expect((await onGuest('grep -c /data /etc/fstab')).trim()).toBe('1');
    expect((await onGuest('sudo blockdev --getra /dev/md0')).trim()).toBe('65536');
  }, 180_000);

  it('after a reboot the array assembles and the filesystem is mounted from fstab', async () => {
    await guest.reboot();
    expect(await onGuest('cat /proc/mdstat')).toMatch(/md\d+ : active raid0/);
    expect((await onGuest('cat /data/f')).trim()).toBe('kept');
  }, 300_000);

  it('unstripe --force leaves the disks clean', async () => {
    expect((await run(['unstripe', DEVS, '--mount', '/data'])).code).toBe(1); // no --force
    const r = await run(['unstripe', DEVS, '--mount', '/data', '--force']);
    expect(r.code, r.stderr).toBe(0);
    expect(await onGuest('cat /proc/mdstat')).not.toMatch(/^md/m);
    expect(await blankDisks()).toBe(BLANK);
    expect(await onGuest('cat /etc/fstab')).not.toContain('/data');
  }, 180_000);
});

describe('lab down', () => {
  it('stops the guest by pid and removes its disks', async () => {
    const g = (await loadLab(dir)).state.guest!;
    expect(isAlive(g.pid, g.startTime)).toBe(true);
    const r = await cli(['down', '--dir', dir]);
    expect(r.code, r.out).toBe(0);
    expect(isAlive(g.pid, g.startTime)).toBe(false);
    expect(existsSync(`${g.dir}/disks`)).toBe(false);
    expect(existsSync(`${dir}/lab.json`)).toBe(false);
  }, 60_000);
});
