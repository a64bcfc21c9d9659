/**
 * Storage on a real kernel: the qemu guest's start-up (boot until `ssh true` answers), and
 * `fab lab -H store1 stripe /dev/vdb,/dev/vdc,/dev/vdd --mount /data` (the whole process: Node start-up,
 * connection, read-only probes, each step a sudo round trip) against the same commands typed by hand in
 * one ssh command (no probes), alternating, with the stack torn down by hand between runs.
 * Run as root: npm run bench:storage [-- --runs 3 --boots 3]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { STRIPE_DEFAULTS, stripePlan, unstripePlan, type StripeOptions } from '../lib/recipes/storage-plan.js';
import { GUEST_SSH_ARGS, labGuest } from '../test/lab/guest.js';
import { startLab } from '../test/lab/lab.js';
import { LAB_NETS, labDir, repoRoot } from '../test/lab/repo.js';
import { sshArgs } from '../test/lab/ssh.js';
import { argOf } from './args.js';
import { fmt, median, timeCommand } from './measure.js';

const runs = Number(argOf('runs', '3'));
const boots = Number(argOf('boots', '3'));
const root = repoRoot();
const dir = labDir('lab-bench-storage');
const o: StripeOptions = { ...STRIPE_DEFAULTS, devices: ['/dev/vdb', '/dev/vdc', '/dev/vdd'], mount: '/data' };
// By hand: the plan's commands for fresh disks, one after another in one root shell; undone the same way.
const byHand = stripePlan(o, { arrayInConf: false, lvExists: false, lvFs: '', inFstab: false, mounted: false })
  .map((s) => s.cmd.text)
  .join(' && ');
const teardown = unstripePlan(o, o.md)
  .map((s) => s.cmd.text)
  .join('; ');

const t0 = performance.now();
const lab = await startLab({ dir, net: LAB_NETS.bench, web: 0, guest: true });
const labUp = (performance.now() - t0) / 1000;
try {
  const guest = labGuest(lab.state);
  const ssh = (cmd: string) =>
    timeCommand(
      'ssh',
      sshArgs(guest.state, 'store1', `sudo sh -c '${cmd.replace(/'/g, `'\\''`)}'`, { args: GUEST_SSH_ARGS }),
    );
  const bootS: number[] = [];
  // The first boot is inside labUp; reboots (clean power-off, then boot) give the start-up samples.
  for (let i = 0; i < boots; i++) bootS.push((await guest.reboot()) / 1000);
  const env = { ...process.env, FAB_LAB_DIR: dir, NO_COLOR: '1' };
  const fab = () =>
    timeCommand(
      process.execPath,
      [join(root, 'bin/fab.js'), 'lab', '-H', 'store1', '-t', '30', 'stripe', o.devices.join(','), '--mount', o.mount],
      { cwd: root, env },
    );
  const a: number[] = [];
  const b: number[] = [];
  for (let i = 0; i < runs; i++) {
    a.push(fab());
    ssh(teardown);
    b.push(ssh(byHand));
    ssh(teardown);
  }
  const res = {
    date: new Date().toISOString(),
    accel: lab.state.guest?.accel,
    runs,
    labUp,
    boot: median(bootS),
    fab: median(a),
    hand: median(b),
    ratio: median(a) / median(b),
    all: { boot: bootS, fab: a, hand: b },
  };
  console.log(
    `lab up with the guest (first boot included): ${fmt(labUp)}; guest boot to ssh (${res.accel}), median of ${boots}: ${fmt(res.boot)}`,
  );
  console.log(
    `stripe 3 disks: fab ${fmt(res.fab)}, by hand over ssh ${fmt(res.hand)}, ratio ${res.ratio.toFixed(3)} (median of ${runs})`,
  );
  mkdirSync(join(root, '.fab/bench'), { recursive: true });
  writeFileSync(join(root, '.fab/bench/storage.json'), JSON.stringify(res, null, 2) + '\n');
} finally {
  await lab.remove();
}
