/**
 * Shape checks for what fabfiles and host files declare, so a typo is a usage error naming the file,
 * the key and the fix (exit 2) instead of hosts called `0`, `1`, ... or a task handed the wrong type.
 */
import { UsageError } from '../errors.js';
import type { ArgSpec, ArgSpecs } from './args.js';
import type { HostSetDef } from './hostset.js';

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const show = (v: unknown): string =>
  Array.isArray(v)
    ? 'an array'
    : v === null
      ? 'null'
      : typeof v === 'string'
        ? `the string ${JSON.stringify(v)}`
        : `a ${typeof v}`;

type Check = (v: unknown) => boolean;
const str: Check = (v) => typeof v === 'string';
const port: Check = (v) => Number.isInteger(v) && (v as number) >= 1 && (v as number) <= 65535;
const strings: Check = (v) => Array.isArray(v) && v.every(str);
const key: Check = (v) => str(v) || strings(v);
const transport: Check = (v) => v === 'ssh' || v === 'local';
const setting: Check = (v) => ['string', 'number', 'boolean'].includes(typeof v) || strings(v);
const settings: Check = (v) => isObject(v) && Object.values(v).every(setting);

/** Key -> check and what to write instead. */
const HOST_KEYS: Record<string, [Check, string]> = {
  address: [str, 'a host name or IP address, e.g. "10.0.0.5"'],
  port: [port, 'a port number from 1 to 65535'],
  user: [str, 'a login name, e.g. "deploy"'],
  key: [key, 'a key file path or an array of them'],
  knownHosts: [str, 'a known_hosts file path'],
  jump: [str, 'the name of the jump host'],
  roles: [strings, 'an array of role names, e.g. ["web"]'],
  settings: [settings, 'an object of string, number, boolean or string-array values'],
  transport: [transport, '"ssh" or "local"'],
};

function fail(file: string, where: string, got: unknown, want: string): never {
  throw new UsageError(`${file}: ${where} is ${show(got)}`, `make it ${want}`);
}

function checkHost(file: string, where: string, h: unknown, allowed: readonly string[]): void {
  if (!isObject(h)) fail(file, where, h, 'an object such as { address: "10.0.0.5", roles: ["web"] } (or {})');
  for (const [k, v] of Object.entries(h)) {
    if (v === undefined) continue;
    const rule = HOST_KEYS[k];
    if (!rule || !allowed.includes(k))
      throw new UsageError(`${file}: ${where} has an unknown key "${k}"`, `use one of: ${allowed.join(', ')}`);
    if (!rule[0](v)) fail(file, `${where}.${k}`, v, rule[1]);
  }
}

/** Throws a UsageError naming the file and key when a resolved host set is not a HostSetDef. */
export function validateHostSet(file: string, name: string, def: unknown): asserts def is HostSetDef {
  const at = `host set ${name}`;
  if (!isObject(def)) fail(file, at, def, 'an object with a `hosts` object');
  if (!isObject(def.hosts))
    fail(
      file,
      `${at}: hosts`,
      def.hosts,
      'an object of host name -> settings, e.g. hosts: { web1: {}, web2: { address: "10.0.0.2" } }',
    );
  for (const [host, h] of Object.entries(def.hosts)) checkHost(file, `${at}: hosts.${host}`, h, Object.keys(HOST_KEYS));
  if (def.roles !== undefined) {
    if (!isObject(def.roles))
      fail(file, `${at}: roles`, def.roles, 'an object of role -> host names, e.g. roles: { web: ["web1"] }');
    for (const [role, names] of Object.entries(def.roles))
      if (!strings(names)) fail(file, `${at}: roles.${role}`, names, 'an array of host names');
  }
  if (def.settings !== undefined && !settings(def.settings))
    fail(file, `${at}: settings`, def.settings, HOST_KEYS.settings![1]);
  if (def.ssh !== undefined)
    checkHost(file, `${at}: ssh`, def.ssh, ['port', 'user', 'key', 'knownHosts', 'jump', 'transport']);
  if (def.description !== undefined && !str(def.description))
    fail(file, `${at}: description`, def.description, 'a string');
}

function defaultFits(spec: ArgSpec<unknown>): boolean {
  const v = spec.defaultValue;
  if (v === undefined) return true;
  switch (spec.kind) {
    case 'number':
      return typeof v === 'number' && Number.isFinite(v);
    case 'boolean':
      return typeof v === 'boolean';
    case 'string':
      return typeof v === 'string';
    case 'choice':
      return typeof v === 'string' && (spec.choices ?? []).includes(v);
    case 'list':
      return Array.isArray(v) && v.every((x) => typeof x === 'string');
  }
}

/** A task argument whose `default` is not of its declared type. */
export function validateArgDefaults(file: string, task: string, args: ArgSpecs | undefined): void {
  for (const [name, spec] of Object.entries(args ?? {})) {
    if (!spec.hasDefault || defaultFits(spec)) continue;
    const want =
      spec.kind === 'choice'
        ? `one of ${(spec.choices ?? []).map((c) => JSON.stringify(c)).join(', ')}`
        : spec.kind === 'list'
          ? 'an array of strings'
          : `a ${spec.kind}`;
    const example =
      spec.kind === 'number'
        ? '3'
        : spec.kind === 'boolean'
          ? 'false'
          : spec.kind === 'list'
            ? '["a", "b"]'
            : JSON.stringify(spec.choices?.[0] ?? 'text');
    const given = show(spec.defaultValue);
    const kind = typeof spec.defaultValue === 'string' ? 'string' : typeof spec.defaultValue;
    throw new UsageError(
      `${file}: task ${task}: argument "${name}" is declared ${spec.kind} but its default is ${given}`,
      `make the default ${want}, e.g. { default: ${example} }, or declare the argument as arg.${kind}()`,
    );
  }
}
