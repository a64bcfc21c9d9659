import type { SettingValue } from './settings.js';

/** How to reach one host and what it knows. Unset fields fall back to the set's `ssh` defaults, then ssh_config. */
export interface HostDef {
  address?: string;
  port?: number;
  user?: string;
  /** Private key file(s); `~` is expanded. */
  key?: string | readonly string[];
  knownHosts?: string;
  /** Name of another host of the set (or an ssh_config alias) to jump through (ProxyJump). */
  jump?: string;
  roles?: readonly string[];
  settings?: Record<string, SettingValue>;
  /** `local` runs the host's commands on this machine instead of over SSH. */
  transport?: 'ssh' | 'local';
}

export interface HostSetDef {
  description?: string;
  hosts: Record<string, HostDef>;
  /** Role -> host names; merged with each host's own `roles`. */
  roles?: Record<string, readonly string[]>;
  /** Settings (Fabric's env) shared by all hosts of the set; a host's own settings win. */
  settings?: Record<string, SettingValue>;
  /** Connection defaults for every host of the set. */
  ssh?: Omit<HostDef, 'roles' | 'settings' | 'address'>;
}

const HOSTSET = Symbol.for('fabts.hostset');

export interface HostSet {
  readonly [HOSTSET]: true;
  /** Called only when the set is selected, so a set can read files that exist only then (e.g. the lab's). */
  readonly resolve: () => HostSetDef | Promise<HostSetDef>;
  name?: string;
  file?: string;
  description?: string;
  /** Defined by a function: what it resolves to may depend on files, variables or the network. */
  readonly dynamic?: true;
  /** What a function-defined set reads, if it says so: shell completion caches its hosts until these change. */
  readonly inputs?: () => HostSetInputs;
}

/** The files (present or not) and environment variables a function-defined set reads, and nothing else. */
export interface HostSetInputs {
  files?: readonly string[];
  env?: readonly string[];
}

export function hostSet(
  def: HostSetDef | (() => HostSetDef | Promise<HostSetDef>),
  opts?: string | { description?: string; inputs?: () => HostSetInputs },
): HostSet {
  const resolve = typeof def === 'function' ? def : () => def;
  const o = typeof opts === 'string' ? { description: opts } : (opts ?? {});
  const desc = o.description ?? (typeof def === 'function' ? undefined : def.description);
  const dynamic = typeof def === 'function' ? { dynamic: true as const } : {};
  const inputs = typeof def === 'function' && o.inputs ? { inputs: o.inputs } : {};
  return { [HOSTSET]: true, resolve, ...dynamic, ...inputs, ...(desc ? { description: desc } : {}) };
}

export function isHostSet(value: unknown): value is HostSet {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[HOSTSET] === true;
}

/** A host ready for the executor: everything resolved except what ssh_config adds at connect time. */
export interface HostTarget {
  name: string;
  address: string;
  port?: number;
  user?: string;
  keys: string[];
  knownHosts?: string;
  jump?: string;
  transport: 'ssh' | 'local';
  roles: string[];
  settings: Record<string, SettingValue>;
  /** The host set it came from, if any. */
  set?: string;
}

/** Flatten a set definition into targets, roles merged from both places. */
export function targetsOf(setName: string, def: HostSetDef): HostTarget[] {
  const roleMap = new Map<string, Set<string>>();
  for (const [role, names] of Object.entries(def.roles ?? {})) {
    for (const n of names) {
      if (!roleMap.has(n)) roleMap.set(n, new Set());
      roleMap.get(n)!.add(role);
    }
  }
  return Object.entries(def.hosts).map(([name, h]) => {
    const ssh = def.ssh ?? {};
    const keys = h.key ?? ssh.key;
    const roles = new Set([...(h.roles ?? []), ...(roleMap.get(name) ?? [])]);
    const t: HostTarget = {
      name,
      address: h.address ?? name,
      keys: keys === undefined ? [] : typeof keys === 'string' ? [keys] : [...keys],
      transport: h.transport ?? ssh.transport ?? 'ssh',
      roles: [...roles],
      settings: { ...(def.settings ?? {}), ...(h.settings ?? {}) },
      set: setName,
    };
    const port = h.port ?? ssh.port;
    const user = h.user ?? ssh.user;
    const knownHosts = h.knownHosts ?? ssh.knownHosts;
    const jump = h.jump ?? ssh.jump;
    if (port !== undefined) t.port = port;
    if (user !== undefined) t.user = user;
    if (knownHosts !== undefined) t.knownHosts = knownHosts;
    if (jump !== undefined) t.jump = jump;
    return t;
  });
}

/** `user@host:port` as Fabric's -H accepts it. */
export function parseHostString(spec: string): { user?: string; host: string; port?: number } {
  let rest = spec;
  let user: string | undefined;
  const at = rest.lastIndexOf('@');
  if (at > 0) {
    user = rest.slice(0, at);
    rest = rest.slice(at + 1);
  }
  let port: number | undefined;
  const bracket = /^\[(.+)\]:(\d+)$/.exec(rest);
  const plain = /^([^:]+):(\d+)$/.exec(rest);
  const m = bracket ?? plain;
  if (m) {
    rest = m[1]!;
    port = Number(m[2]);
  }
  return { host: rest, ...(user ? { user } : {}), ...(port ? { port } : {}) };
}
