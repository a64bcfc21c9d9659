import { sh, type ShellCommand } from '../commands/quote.js';
import { FabError } from '../errors.js';
import type { Host } from '../run/host.js';
import {
  kernelName, lvPath, nothingToDo, parseExport, parseMdstat, refusals, sameArray, stripePlan, unstripePlan,
  type DeviceFacts, type MdArray, type PlanStep, type StackFacts, type StripeOptions,
} from './storage-plan.js';

/**
 * md RAID + LVM + filesystem on a host: read-only probes first (they run under --dry-run too), then the
 * plan from storage-plan.ts, run as root step by step. A refused device stops the run before any change.
 */

export class StorageError extends FabError {
  override name = 'StorageError';
}

const probe = (ctx: Host, cmd: ShellCommand) => ctx.sudo(cmd).quiet().probe().nothrow();

/** blkid, lsblk and pvs facts for each device, in one round trip. */
export async function probeDevices(ctx: Host, devices: readonly string[]): Promise<DeviceFacts[]> {
  const script = sh`for d in ${devices}; do echo "@dev $d"; [ -b "$d" ] || continue; echo "@exists"; blkid -p -o export -- "$d" 2>/dev/null; lsblk -nr -o NAME,TYPE,MOUNTPOINT -- "$d" | sed 's/^/@lsblk /'; done`;
  const out = (await probe(ctx, script)).stdout;
  const pvs = await pvRows(ctx);
  const facts: DeviceFacts[] = [];
  for (const block of out.split('@dev ').slice(1)) {
    const [path = '', ...lines] = block.split('\n');
    const lsblk = lines.filter((l) => l.startsWith('@lsblk ')).map((l) => l.slice(7).split(' '));
    const vg = pvs.get(path);
    facts.push({
      path,
      exists: lines.includes('@exists'),
      blkid: parseExport(lines.filter((l) => !l.startsWith('@')).join('\n')),
      // only the disk and its partitions: an array or LV built on it shows up in lsblk too (its own checks cover it)
      mounts: lsblk.filter((r) => r[1] === 'disk' || r[1] === 'part').map((r) => (r[2] ?? '').replace(/\\x20/g, ' ')).filter(Boolean),
      partitions: lsblk.filter((r) => r[1] === 'part').map((r) => `/dev/${r[0]}`),
      ...(vg !== undefined ? { vg } : {}),
    });
  }
  return facts;
}

/** pvs: PV path -> VG name ('' when in no VG). Empty without lvm2. */
async function pvRows(ctx: Host): Promise<Map<string, string>> {
  const r = await probe(ctx, sh`pvs --noheadings --separator '|' -o pv_name,vg_name 2>/dev/null`);
  return new Map(r.lines().map((l) => l.trim().split('|')).map(([pv = '', vg = '']): [string, string] => [pv.trim(), vg.trim()]));
}

export async function readArrays(ctx: Host): Promise<MdArray[]> {
  return parseMdstat((await probe(ctx, sh`cat /proc/mdstat 2>/dev/null`)).stdout);
}

async function stackFacts(ctx: Host, o: StripeOptions, arrays: MdArray[]): Promise<StackFacts> {
  const found = sameArray(o.devices, arrays);
  const lv = lvPath(o);
  const ok = async (cmd: ShellCommand) => (await probe(ctx, cmd)).ok;
  const facts: StackFacts = { arrayInConf: false, lvExists: false, lvFs: '', inFstab: false, mounted: false };
  if (found) {
    const md = `/dev/${found.name}`;
    facts.array = md;
    if (found.level !== `raid${o.level}` || (found.chunkKb !== undefined && o.level === 0 && found.chunkKb !== o.chunk)) {
      throw new StorageError(`[${ctx.host.name}] ${md} already has these devices as ${found.level}${found.chunkKb ? ` with ${found.chunkKb}k chunks` : ''}, not raid${o.level} with ${o.chunk}k chunks; nothing changed (unstripe it first)`);
    }
    facts.arrayInConf = await ok(sh`u=$(mdadm --detail --export ${md} | sed -n 's/^MD_UUID=//p'); [ -n "$u" ] && grep -qs "UUID=$u" /etc/mdadm/mdadm.conf /etc/mdadm.conf`);
    const vg = (await pvRows(ctx)).get(md);
    if (vg !== undefined) facts.pvVg = vg;
  }
  if (facts.pvVg === undefined && (await ok(sh`vgs ${o.vg}`))) {
    throw new StorageError(`[${ctx.host.name}] volume group ${o.vg} already exists on other devices; nothing changed (choose another --vg)`);
  }
  if (facts.pvVg && facts.pvVg !== o.vg) {
    throw new StorageError(`[${ctx.host.name}] ${facts.array} is already in volume group ${facts.pvVg}, not ${o.vg}; nothing changed`);
  }
  if (facts.pvVg) {
    facts.lvExists = await ok(sh`lvs ${`${o.vg}/${o.lv}`}`);
    if (facts.lvExists) facts.lvFs = (await probe(ctx, sh`blkid -s TYPE -o value ${lv}`)).toString().trim();
    if (facts.lvFs && facts.lvFs !== o.fs) throw new StorageError(`[${ctx.host.name}] ${lv} holds ${facts.lvFs}, not ${o.fs}; nothing changed`);
    if (facts.lvFs) facts.inFstab = await ok(sh`u=$(blkid -s UUID -o value ${lv}) && grep -q "^UUID=$u " /etc/fstab`);
    facts.mounted = await ok(sh`mountpoint -q ${o.mount}`);
  }
  return facts;
}

export interface StripeResult {
  changed: boolean;
  steps: string[];
  md: string;
}

/** Check every device, then build and run the plan; a second run with the same options does nothing. */
export async function stripe(ctx: Host, o: StripeOptions): Promise<StripeResult> {
  if (!o.devices.length) throw new StorageError('stripe needs at least one device');
  const missingTools = (await probe(ctx, sh`for c in mdadm pvcreate ${o.fs === 'xfs' ? 'mkfs.xfs' : 'mkfs.ext4'}; do command -v $c >/dev/null || echo $c; done`)).lines();
  if (missingTools.length) {
    // The seed installs mdadm first: do the same, before any probe needs the tools.
    await ctx.sudo(sh`DEBIAN_FRONTEND=noninteractive apt-get install -y mdadm lvm2 ${o.fs === 'xfs' ? 'xfsprogs' : 'e2fsprogs'}`);
  }
  const [facts, arrays] = await Promise.all([probeDevices(ctx, o.devices), readArrays(ctx)]);
  const { missing, inUse } = refusals(o, facts, arrays);
  if (missing.length) throw new StorageError(`[${ctx.host.name}] ${missing.join('; ')}; nothing changed`);
  if (inUse.length && !o.force) {
    throw new StorageError(`[${ctx.host.name}] refusing to stripe over data:\n  ${inUse.join('\n  ')}\n  nothing changed; pass --force to destroy it`);
  }
  const steps: PlanStep[] = [];
  if (inUse.length) steps.push(...wipeSteps(o.devices, arrays));
  steps.push(...stripePlan(o, await stackFacts(ctx, o, inUse.length ? [] : arrays)));
  const reused = inUse.length ? undefined : sameArray(o.devices, arrays);
  const md = reused ? `/dev/${reused.name}` : o.md;
  const idle = nothingToDo(steps);
  for (const st of steps) {
    if (ctx.dryRun) ctx.log(`would ${st.why}: ${st.cmd.display}`);
    await ctx.sudo(st.cmd).quiet();
  }
  ctx.log(idle ? `${md} on ${o.mount}: already in place, nothing changed` : `${md} striped over ${o.devices.join(', ')}, ${lvPath(o)} mounted on ${o.mount}`);
  return { changed: !idle, steps: steps.map((s) => s.cmd.display), md };
}

/** --force over data: stop arrays that hold the devices, then wipe every signature. */
function wipeSteps(devices: readonly string[], arrays: readonly MdArray[]): PlanStep[] {
  const holders = arrays.filter((a) => devices.some((d) => a.members.includes(kernelName(d))));
  return [
    ...holders.map((a) => ({ why: `stop /dev/${a.name} (--force)`, cmd: sh`mdadm --stop ${`/dev/${a.name}`}` })),
    { why: 'wipe signatures (--force)', cmd: sh`mdadm --zero-superblock ${devices} 2>/dev/null; wipefs -a ${devices}` },
  ];
}

/** Undo stripe: needs force; leaves the devices without superblock or signature. */
export async function unstripe(ctx: Host, o: Pick<StripeOptions, 'devices' | 'vg' | 'lv' | 'mount' | 'force'>): Promise<string[]> {
  if (!o.force) throw new StorageError(`[${ctx.host.name}] unstripe destroys the data on ${o.devices.join(', ')}: pass --force`);
  const a = sameArray(o.devices, await readArrays(ctx));
  const steps = unstripePlan(o, a ? `/dev/${a.name}` : '/dev/md0');
  for (const st of steps) {
    if (ctx.dryRun) ctx.log(`would ${st.why}: ${st.cmd.display}`);
    await ctx.sudo(st.cmd).quiet();
  }
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
  const lvs = (await probe(ctx, sh`lvs --noheadings -o vg_name,lv_name,lv_size,devices 2>/dev/null`)).lines().map((l) => l.trim());
  const mounts = (await probe(ctx, sh`grep -E '^/dev/(mapper|md)' /proc/mounts`)).lines();
  const readahead: Record<string, number> = {};
  for (const a of arrays) readahead[`/dev/${a.name}`] = Number((await probe(ctx, sh`blockdev --getra ${`/dev/${a.name}`}`)).toString());
  return { arrays, lvs, mounts, readahead };
}
