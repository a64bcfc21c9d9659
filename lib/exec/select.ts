import { UsageError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import { didYouMean } from '../util/suggest.js';
import { rawTarget } from './connections.js';
import { globRe, isGlob } from './host-pattern.js';

export interface SelectionInput {
  /** Targets of the host sets named on the command line, in their order. */
  pool: readonly HostTarget[];
  /** True when a host set was named (then -H names must be hosts of it). */
  haveSet: boolean;
  global: { hosts: readonly string[]; roles: readonly string[]; exclude: readonly string[] };
  declared?: { roles?: readonly string[]; hosts?: readonly string[] };
  perTask?: { hosts?: readonly string[]; roles?: readonly string[]; excludeHosts?: readonly string[] };
  taskName?: string;
}

/**
 * Which hosts a task runs on, with Fabric 1's precedence: per-task `hosts=`/`roles=` first, then
 * what the task declares, then -H/-R, then the whole host set. When a task declares roles, -H/-R
 * narrow them rather than replace them (so `-H nginx2` picks one LB of the lb role). -x removes hosts.
 */
export function selectHosts(input: SelectionInput): HostTarget[] {
  const { pool, haveSet } = input;
  const where = input.taskName ? ` (task ${input.taskName})` : '';

  const byName = (spec: string): HostTarget[] => {
    if (isGlob(spec)) {
      const re = globRe(spec);
      const hits = pool.filter((t) => re.test(t.name));
      if (!hits.length)
        throw new UsageError(
          `no host matches "${spec}"${where}`,
          `hosts are: ${pool.map((t) => t.name).join(', ') || 'none (name a host set first)'}`,
        );
      return hits;
    }
    const hit = pool.find((t) => t.name === spec);
    if (hit) return [hit];
    if (haveSet)
      throw new UsageError(
        `unknown host "${spec}"${where}`,
        didYouMean(
          spec,
          pool.map((t) => t.name),
        ) || `hosts are: ${pool.map((t) => t.name).join(', ')}`,
      );
    return [rawTarget(spec)];
  };
  const byRole = (role: string): HostTarget[] => {
    const hits = pool.filter((t) => t.roles.includes(role));
    if (hits.length) return hits;
    if (!haveSet)
      throw new UsageError(
        `role "${role}"${where}: no host set selected`,
        `name one first, e.g. fab prod -R ${role} ...`,
      );
    const roles = [...new Set(pool.flatMap((t) => t.roles))];
    throw new UsageError(
      `unknown role "${role}"${where}`,
      didYouMean(role, roles) || `roles are: ${roles.join(', ') || 'none'}`,
    );
  };
  const union = (hosts: readonly string[] = [], roles: readonly string[] = []): HostTarget[] => {
    const out = new Map<string, HostTarget>();
    for (const h of hosts) for (const t of byName(h)) out.set(t.name, t);
    for (const r of roles) for (const t of byRole(r)) out.set(t.name, t);
    return [...out.values()];
  };

  const g = input.global;
  const pt = input.perTask;
  const d = input.declared;
  let chosen: HostTarget[];
  if (pt?.hosts?.length || pt?.roles?.length) chosen = union(pt.hosts, pt.roles);
  else if (d?.hosts?.length || d?.roles?.length) {
    const declared = union(d.hosts, d.roles);
    if (g.hosts.length || g.roles.length) {
      const narrow = new Set(union(g.hosts, g.roles).map((t) => t.name));
      chosen = declared.filter((t) => narrow.has(t.name));
      if (!chosen.length) {
        throw new UsageError(
          `no host left${where}: it runs on ${d.roles?.length ? `role ${d.roles.join(',')}` : 'its own hosts'} (${declared.map((t) => t.name).join(', ')}), and -H/-R select none of them`,
          'pick hosts of that role, or use TASK:hosts=NAME to override',
        );
      }
    } else chosen = declared;
  } else if (g.hosts.length || g.roles.length) chosen = union(g.hosts, g.roles);
  else chosen = [...pool];

  const exclude = [...g.exclude, ...(pt?.excludeHosts ?? [])];
  if (!exclude.length) return chosen;
  const drop = (t: HostTarget) => exclude.some((x) => (isGlob(x) ? globRe(x).test(t.name) : x === t.name));
  return chosen.filter((t) => !drop(t));
}
