import { relative } from 'node:path';
import { errorMessage } from '../errors.js';
import { targetsOf } from '../model/hostset.js';
import type { Registry } from '../registry/load.js';

/** `fab --list --json`: what tools and completion scripts need, as one JSON document. */
export interface ListJson {
  tasks: {
    name: string;
    shortName: string;
    fabfile: string;
    description: string;
    roles: string[];
    hosts: string[];
    runsOnce: boolean;
    confirm?: string;
    args: {
      name: string;
      kind: string;
      required: boolean;
      default?: unknown;
      choices?: string[];
      description?: string;
    }[];
  }[];
  hostSets: {
    name: string;
    file: string;
    description: string;
    hosts: { name: string; address: string; roles: string[] }[];
    roles: string[];
    error?: string;
  }[];
}

export async function listJson(reg: Registry, cwd: string): Promise<ListJson> {
  const rel = (f?: string) => (f ? relative(cwd, f) || f : '');
  const tasks = reg.tasks.map((t) => ({
    name: t.name!,
    shortName: t.shortName!,
    fabfile: rel(t.file),
    description: (t.spec.description ?? '').trim(),
    roles: [...(t.spec.roles ?? [])],
    hosts: [...(t.spec.hosts ?? [])],
    runsOnce: t.spec.runsOnce === true,
    ...(t.spec.confirm ? { confirm: t.spec.confirm } : {}),
    args: Object.entries(t.spec.args ?? {}).map(([name, s]) => ({
      name,
      kind: s.kind,
      required: !s.hasDefault,
      ...(s.hasDefault && s.defaultValue !== undefined ? { default: s.defaultValue } : {}),
      ...(s.choices ? { choices: [...s.choices] } : {}),
      ...(s.description ? { description: s.description } : {}),
    })),
  }));
  const hostSets: ListJson['hostSets'] = [];
  for (const [name, hs] of reg.hostSets) {
    const base = { name, file: rel(hs.file), description: hs.description ?? '' };
    try {
      const hosts = targetsOf(name, await hs.resolve());
      hostSets.push({
        ...base,
        hosts: hosts.map((h) => ({ name: h.name, address: h.address, roles: h.roles })),
        roles: [...new Set(hosts.flatMap((h) => h.roles))].sort(),
      });
    } catch (err) {
      // A set that cannot be resolved now (the lab is down) is still listed, with the reason.
      hostSets.push({ ...base, hosts: [], roles: [], error: errorMessage(err) });
    }
  }
  return { tasks, hostSets };
}

/** `fab --shortlist`: names only, one per line (Fabric's --shortlist). */
export function shortlist(reg: Registry): string {
  return reg.tasks.map((t) => `${t.name}\n`).join('');
}
