import type { ShellCommand } from '../commands/quote.js';
import { lvPath, type StripeOptions } from './storage-options.js';
import { nothingToDo, stripePlan, wipeSteps, type PlanStep, type StackFacts } from './storage-steps.js';
import {
  kernelName,
  lvSources,
  parseDeviceProbe,
  parseMdstat,
  parsePvs,
  parseStackProbe,
  stackProbe,
  type DeviceFacts,
  type MdArray,
  type StackProbe,
} from './storage-probe.js';

export { kernelName, parseExport, parseMdstat, type DeviceFacts, type MdArray } from './storage-probe.js';
export {
  STRIPE_DEFAULTS,
  deviceArgProblems,
  layoutArgProblems,
  lvPath,
  type StripeOptions,
} from './storage-options.js';
export {
  failedStep,
  nothingToDo,
  stepsScript,
  stripePlan,
  unstripePlan,
  wipeSteps,
  type PlanStep,
  type StackFacts,
} from './storage-steps.js';

/**
 * Pure parts of the stripe recipe (seed: "A Fabric script for striping EBS volumes"): from what the read-only
 * probes printed (storage-probe.ts), decide which devices must be refused and which steps run (the commands:
 * storage-steps.ts). No I/O here, so the plan is table-tested; lib/recipes/storage.ts runs probes and plan on a host.
 * The options and the stripe commands are re-exported: importers keep one place to import the recipe's parts from.
 */

/** Arrays that hold a device: by kernel name. */
const arraysOf = (dev: string, arrays: readonly MdArray[]) => arrays.filter((a) => a.members.includes(kernelName(dev)));

/** The existing array with exactly these members (any order), which a second run reuses. */
export function sameArray(devices: readonly string[], arrays: readonly MdArray[]): MdArray | undefined {
  const want = devices.map(kernelName).sort().join(' ');
  return arrays.find((a) => [...a.members].sort().join(' ') === want);
}

/**
 * Why each device cannot be striped: missing (always refused), or holding data (refused unless force).
 * Members of the very array we would create are fine: that array is reused.
 */
export function refusals(
  opts: StripeOptions,
  facts: readonly DeviceFacts[],
  arrays: readonly MdArray[],
): { missing: string[]; inUse: string[] } {
  const reuse = sameArray(opts.devices, arrays);
  const missing = facts.filter((f) => !f.exists).map((f) => `${f.path}: no such block device`);
  const inUse: string[] = [];
  const dup = opts.devices.filter((d, i) => opts.devices.indexOf(d) !== i);
  if (dup.length) missing.push(`${dup.join(', ')}: given twice`);
  for (const f of facts.filter((x) => x.exists)) {
    const what: string[] = [];
    const other = arraysOf(f.path, arrays).filter((a) => a !== reuse);
    if (other.length) what.push(`member of array ${other.map((a) => `/dev/${a.name}`).join(', ')}`);
    else if (!reuse && f.blkid.TYPE === 'linux_raid_member') what.push('an md superblock (linux_raid_member)');
    if (f.blkid.TYPE && f.blkid.TYPE !== 'linux_raid_member' && f.blkid.TYPE !== 'LVM2_member')
      what.push(`a ${f.blkid.TYPE} filesystem`);
    if (f.blkid.PTTYPE) what.push(`a ${f.blkid.PTTYPE} partition table`);
    if (f.partitions.length) what.push(`partitions ${f.partitions.join(', ')}`);
    if (f.vg !== undefined) what.push(`a physical volume${f.vg ? ` of volume group ${f.vg}` : ''}`);
    else if (f.blkid.TYPE === 'LVM2_member') what.push('an LVM physical volume');
    if (f.mounts.length) what.push(`mounted on ${f.mounts.join(', ')}`);
    if (what.length) inUse.push(`${f.path} holds ${what.join(', ')}`);
  }
  return { missing, inUse };
}

/** The stack facts from the stack probe, or the reason to stop with nothing changed. */
export function decideStack(
  o: StripeOptions,
  found: MdArray | undefined,
  pvs: ReadonlyMap<string, string>,
  p: StackProbe,
): { facts: StackFacts } | { problem: string } {
  const facts: StackFacts = { arrayInConf: false, lvExists: false, lvFs: '', inFstab: false, mounted: false };
  const lv = lvPath(o);
  if (found) {
    const md = `/dev/${found.name}`;
    facts.array = md;
    if (
      found.level !== `raid${o.level}` ||
      (found.chunkKb !== undefined && o.level === 0 && found.chunkKb !== o.chunk)
    ) {
      const chunks = found.chunkKb ? ` with ${found.chunkKb}k chunks` : '';
      return {
        problem:
          `${md} already has these devices as ${found.level}${chunks}, ` +
          `not raid${o.level} with ${o.chunk}k chunks; nothing changed (unstripe it first)`,
      };
    }
    facts.arrayInConf = p.inConf;
    const vg = pvs.get(md);
    if (vg !== undefined) facts.pvVg = vg;
  }
  if (facts.pvVg === undefined && p.vgExists)
    return { problem: `volume group ${o.vg} already exists on other devices; nothing changed (choose another --vg)` };
  if (facts.pvVg && facts.pvVg !== o.vg)
    return { problem: `${facts.array} is already in volume group ${facts.pvVg}, not ${o.vg}; nothing changed` };
  const ours = !!facts.pvVg && p.lvExists;
  if (ours) {
    facts.lvExists = true;
    facts.lvFs = p.lvFs;
    if (facts.lvFs && facts.lvFs !== o.fs)
      return { problem: `${lv} holds ${facts.lvFs}, not ${o.fs}; nothing changed` };
    facts.inFstab = !!facts.lvFs && p.inFstab;
  }
  if (p.mountedSource) {
    if (!ours || !lvSources(o.vg, o.lv).includes(p.mountedSource)) {
      return {
        problem: `${o.mount} already has ${p.mountedSource} mounted on it; nothing changed (choose another --mount)`,
      };
    }
    facts.mounted = true;
  }
  return { facts };
}

/** What the first probes printed: deviceProbe, PVS_PROBE, MDSTAT_PROBE. */
export interface FirstProbes {
  devices: string;
  pvs: string;
  mdstat: string;
}

export interface StripeCheck {
  /** why nothing may be done (missing devices; data without --force) */
  refused?: string;
  /** the md device the run builds on: the array reused, or the one to create */
  md: string;
  reused?: MdArray;
  /** devices --force will wipe, with what is on them */
  inUse: string[];
  arrays: MdArray[];
  pvs: Map<string, string>;
  /** the next probe to run: stackProbe for md */
  next: ShellCommand;
}

/** Phase one: the devices' facts decide whether the run may go on, and which md it builds on. */
export function checkStripe(o: StripeOptions, p: FirstProbes): StripeCheck {
  const pvs = parsePvs(p.pvs);
  const arrays = parseMdstat(p.mdstat);
  const { missing, inUse } = refusals(o, parseDeviceProbe(p.devices, pvs), arrays);
  const reused = inUse.length ? undefined : sameArray(o.devices, arrays);
  const md = reused ? `/dev/${reused.name}` : o.md;
  const refused = missing.length
    ? `${missing.join('; ')}; nothing changed`
    : inUse.length && !o.force
      ? `refusing to stripe over data:\n  ${inUse.join('\n  ')}\n  nothing changed; pass --force to destroy it`
      : undefined;
  return {
    ...(refused ? { refused } : {}),
    md,
    ...(reused ? { reused } : {}),
    inUse,
    arrays,
    pvs,
    next: stackProbe({ md, vg: o.vg, lv: o.lv, mount: o.mount }),
  };
}

/** Phase two: the stack probe's answer -> the exact steps (idle: only the read-ahead), or why to stop. */
export function planStripe(
  o: StripeOptions,
  c: StripeCheck,
  stackText: string,
): { problem: string } | { steps: PlanStep[]; idle: boolean } {
  const decided = decideStack(o, c.reused, c.pvs, parseStackProbe(stackText));
  if ('problem' in decided) return decided;
  const steps = [...(c.inUse.length ? wipeSteps(o.devices, c.arrays) : []), ...stripePlan(o, decided.facts)];
  return { steps, idle: nothingToDo(steps) };
}
