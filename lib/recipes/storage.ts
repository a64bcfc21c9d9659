import { sh, type ShellCommand } from '../commands/quote.js';
import { StorageError, UsageError } from '../errors.js';
import type { Host } from '../run/host.js';
import {
  checkStripe,
  deviceArgProblems,
  failedStep,
  layoutArgProblems,
  lvPath,
  planStripe,
  sameArray,
  stepsScript,
  unstripePlan,
  type PlanStep,
  type StripeOptions,
} from './storage-plan.js';
import {
  deviceProbe,
  firstProbe,
  MDSTAT_PROBE,
  parseDeviceProbe,
  parseMdstat,
  parsePvs,
  PVS_PROBE,
  splitFirstProbe,
  type DeviceFacts,
  type MdArray,
} from './storage-probe.js';

/**
 * md RAID + LVM + filesystem on a host: read-only probes first (they run under --dry-run too), then the
 * plan from storage-plan.ts, run as root step by step. A refused device stops the run before any change.
 */

export { StorageError };
export { deviceArgProblems, STRIPE_DEFAULTS } from './storage-plan.js';

const probe = (ctx: Host, cmd: ShellCommand) => ctx.sudo(cmd).quiet().probe().nothrow();

/** blkid, lsblk and pvs facts for each device. */
export async function probeDevices(ctx: Host, devices: readonly string[]): Promise<DeviceFacts[]> {
  const [out, pvs] = await Promise.all([probe(ctx, deviceProbe(devices)), probe(ctx, PVS_PROBE)]);
  return parseDeviceProbe(out.stdout, parsePvs(pvs.stdout));
}

export async function readArrays(ctx: Host): Promise<MdArray[]> {
  return parseMdstat((await probe(ctx, MDSTAT_PROBE)).stdout);
}

export interface StripeResult {
  changed: boolean;
  steps: string[];
  md: string;
}

/** Check every device, then build and run the plan; a second run with the same options does nothing. */
export async function stripe(ctx: Host, o: StripeOptions): Promise<StripeResult> {
  const fail = (msg: string) => new StorageError(`[${ctx.host.name}] ${msg}`);
  checkDeviceArgs('stripe', o.devices);
  const layout = layoutArgProblems(o);
  if (layout.length) throw new UsageError(`stripe: ${layout.join('; ')}`, 'see `fab -d stripe`');
  const first = splitFirstProbe((await probe(ctx, firstProbe(o.fs, o.devices))).stdout);
  const check = checkStripe(o, first);
  if (check.refused) throw fail(check.refused);
  if (first.tools.trim()) {
    // The seed installs mdadm first; here only once the devices passed (a refused run changes nothing).
    // Without lvm2 there is no PV to find; blkid (util-linux) still sees LVM and md signatures.
    await ctx.sudo(
      sh`DEBIAN_FRONTEND=noninteractive apt-get install -y mdadm lvm2 ${o.fs === 'xfs' ? 'xfsprogs' : 'e2fsprogs'}`,
    );
  }
  const plan = planStripe(o, check, (await probe(ctx, check.next)).stdout);
  if ('problem' in plan) throw fail(plan.problem);
  const { steps, idle } = plan;
  const md = check.md;
  if (ctx.dryRun) {
    for (const st of steps) {
      ctx.log(`would ${st.why}: ${st.cmd.display}`);
      await ctx.sudo(st.cmd).quiet(); // shown as "would sudo", not run
    }
  } else await runSteps(ctx, steps);
  if (ctx.dryRun) ctx.log(`dry run: ${steps.length} steps planned for ${md} on ${o.mount}, nothing changed`);
  else
    ctx.log(
      idle
        ? `${md} on ${o.mount}: already in place, nothing changed`
        : `${md} striped over ${o.devices.join(', ')}, ${lvPath(o)} mounted on ${o.mount}`,
    );
  return { changed: !idle && !ctx.dryRun, steps: steps.map((s) => s.cmd.display), md };
}

/** The steps in one round trip; a failure names the step, its command and what came before it. */
async function runSteps(ctx: Host, steps: readonly PlanStep[]): Promise<void> {
  if (!steps.length) return;
  const r = await ctx.sudo(stepsScript(steps)).quiet().nothrow();
  if (r.ok) return;
  const i = failedStep(r.stdout);
  const st = steps[i]!;
  const stderr = r.stderr.trim().split('\n').slice(-3).join(' / ');
  const before = i
    ? `done before it: ${steps
        .slice(0, i)
        .map((x) => x.why)
        .join(', ')}`
    : 'it was the first step';
  throw new StorageError(
    `[${ctx.host.name}] step ${i + 1} of ${steps.length} failed (${st.why}): ${st.cmd.display}: exit ${r.code}: ${stderr}\n  ${before}`,
  );
}

/** Library callers get the same usage check the fabfile's argument parser makes. */
function checkDeviceArgs(what: string, devices: readonly string[]): void {
  const bad = deviceArgProblems(devices);
  if (!devices.length || bad.length)
    throw new UsageError(
      `${what}: ${bad.join('; ') || 'no devices given'}`,
      'give block devices as /dev/xvdf,/dev/xvdg',
    );
}

/** Undo stripe: needs force; leaves the devices without superblock or signature. */
export async function unstripe(
  ctx: Host,
  o: Pick<StripeOptions, 'devices' | 'vg' | 'lv' | 'mount' | 'force'>,
): Promise<string[]> {
  checkDeviceArgs('unstripe', o.devices);
  const layout = layoutArgProblems({ ...o, md: '/dev/md0' });
  if (layout.length) throw new UsageError(`unstripe: ${layout.join('; ')}`, 'see `fab -d unstripe`');
  if (!o.force)
    throw new StorageError(`[${ctx.host.name}] unstripe destroys the data on ${o.devices.join(', ')}: pass --force`);
  const a = sameArray(o.devices, await readArrays(ctx));
  const steps = unstripePlan(o, a ? `/dev/${a.name}` : '/dev/md0');
  if (ctx.dryRun) {
    for (const st of steps) {
      ctx.log(`would ${st.why}: ${st.cmd.display}`);
      await ctx.sudo(st.cmd).quiet(); // shown as "would sudo", not run
    }
  } else await runSteps(ctx, steps);
  return steps.map((s) => s.cmd.display);
}

export interface StorageStatus {
  arrays: MdArray[];
  lvs: string[];
  mounts: string[];
  readahead: Record<string, number>;
}

export async function storageStatus(ctx: Host): Promise<StorageStatus> {
  const arrays = await readArrays(ctx);
  const lvs = (await probe(ctx, sh`lvs --noheadings -o vg_name,lv_name,lv_size,devices 2>/dev/null`))
    .lines()
    .map((l) => l.trim().split(/\s+/).join(' '));
  const mounts = (await probe(ctx, sh`grep -E '^/dev/(mapper|md)' /proc/mounts`)).lines();
  const readahead: Record<string, number> = {};
  for (const a of arrays)
    readahead[`/dev/${a.name}`] = Number((await probe(ctx, sh`blockdev --getra ${`/dev/${a.name}`}`)).toString());
  return { arrays, lvs, mounts, readahead };
}
