import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError, errorMessage } from '../errors.js';
import { OPTIONS, type FabOptions, type OptionDef } from './options.js';
import { ArgParseError, camel, parseBoolean } from '../model/args.js';
import type { SettingValue } from '../model/settings.js';
import { didYouMean } from '../util/suggest.js';

/**
 * Defaults for command-line options and settings, from (highest first) FAB_* variables, the
 * project's `.fabts.json` (or `fabts.config.json`) in the project root, and the user's
 * `~/.config/fabts/config.json`. The command line wins over all of them.
 */

/** Options that are commands or per-run decisions, not defaults. */
const NOT_CONFIGURABLE = new Set<keyof FabOptions>([
  'fabfile',
  'list',
  'display',
  'version',
  'help',
  'shortlist',
  'set',
  'persistStop',
]);
const CONFIGURABLE = OPTIONS.filter((o) => !NOT_CONFIGURABLE.has(o.key));

export interface ConfigLayer {
  source: string;
  options: Partial<FabOptions>;
  settings: Record<string, SettingValue>;
}

export const envName = (o: OptionDef): string => `FAB_${o.long.toUpperCase().replace(/-/g, '_')}`;

/** FAB_SUDO_PASSWORD and FAB_PASSWORD are the passwords themselves, not the --sudo-password/--password flags. */
const ENV_OPTIONS = CONFIGURABLE.filter((o) => o.key !== 'sudoPassword' && o.key !== 'password');

export function userConfigPath(env: NodeJS.ProcessEnv): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'fabts', 'config.json');
}

export function projectConfigPath(root: string): string | undefined {
  return ['.fabts.json', 'fabts.config.json'].map((f) => join(root, f)).find((f) => existsSync(f));
}

function typed(def: OptionDef, value: unknown, where: string): unknown {
  const bad = (want: string) =>
    new UsageError(`${where}: expected ${want}, got ${JSON.stringify(value)}`, `write ${want}, e.g. ${example(def)}`);
  switch (def.type) {
    case 'flag':
      if (typeof value !== 'boolean') throw bad('true or false');
      return value;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) throw bad('a non-negative number');
      return value;
    case 'string':
      if (typeof value !== 'string' || value === '') throw bad('a string');
      return value;
    default:
      if (typeof value === 'string')
        return value
          .split(',')
          .map((s) => s.trim())
          .filter(Boolean);
      if (!Array.isArray(value) || !value.every((v) => typeof v === 'string')) throw bad('a list of strings');
      return [...(value as string[])];
  }
}

function example(def: OptionDef): string {
  const v = { flag: 'true', number: '10', string: '"..."', list: '["a", "b"]', repeat: '["a"]' }[def.type];
  return `"${def.key}": ${v}`;
}

/** Parse one config file: option keys (camelCase or the --long-name) and a `settings` object. */
export function parseConfig(file: string, text: string): ConfigLayer {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new UsageError(`config ${file}: not valid JSON: ${errorMessage(err)}`, 'correct the JSON syntax');
  }
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc))
    throw new UsageError(`config ${file}: expected a JSON object`, 'write { "user": "deploy", "settings": { ... } }');
  const layer: ConfigLayer = { source: file, options: {}, settings: {} };
  const byKey = new Map(
    CONFIGURABLE.flatMap((o) => [
      [o.key as string, o],
      [o.long, o],
    ]),
  );
  for (const [key, value] of Object.entries(doc)) {
    if (key === 'settings') {
      if (typeof value !== 'object' || value === null || Array.isArray(value))
        throw new UsageError(
          `config ${file}: key "settings": expected an object`,
          'write "settings": { "appRoot": "/srv/app" }',
        );
      for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
        const ok =
          ['string', 'number', 'boolean'].includes(typeof v) ||
          (Array.isArray(v) && v.every((x) => typeof x === 'string'));
        if (!ok)
          throw new UsageError(
            `config ${file}: settings.${k}: expected a string, number, boolean or list of strings`,
            `fix the value of settings.${k}`,
          );
        layer.settings[k] = v as SettingValue;
      }
      continue;
    }
    const def = byKey.get(key) ?? byKey.get(camel(key));
    if (!def) {
      const why = NOT_CONFIGURABLE.has(key as keyof FabOptions)
        ? `"${key}" cannot be set in a config file`
        : `unknown key "${key}"`;
      const hint =
        key === 'set'
          ? 'put default settings under "settings"'
          : didYouMean(key, [...CONFIGURABLE.map((o) => o.key as string), 'settings']) ||
            `keys are: ${CONFIGURABLE.map((o) => o.key).join(', ')}, settings`;
      throw new UsageError(`config ${file}: ${why}`, hint);
    }
    (layer.options as Record<string, unknown>)[def.key] = typed(def, value, `config ${file}: key "${key}"`);
  }
  return layer;
}

function readLayer(file: string | undefined): ConfigLayer | undefined {
  if (!file || !existsSync(file)) return undefined;
  return parseConfig(file, readFileSync(file, 'utf8'));
}

/** FAB_USER=deploy, FAB_POOL_SIZE=5, FAB_PARALLEL=1, FAB_HIDE=running,stdout ... */
export function envLayer(env: NodeJS.ProcessEnv): ConfigLayer {
  const layer: ConfigLayer = { source: 'environment', options: {}, settings: {} };
  for (const def of ENV_OPTIONS) {
    const name = envName(def);
    const raw = env[name];
    if (raw === undefined || raw === '') continue;
    let value: unknown;
    if (def.type === 'flag') {
      try {
        value = parseBoolean(raw);
      } catch (err) {
        if (!(err instanceof ArgParseError)) throw err;
        throw new UsageError(`${name}=${raw}: ${err.message}`, `set ${name}=1 or ${name}=0`);
      }
    } else if (def.type === 'number') {
      value = Number(raw);
      if (raw.trim() === '' || !Number.isFinite(value as number) || (value as number) < 0)
        throw new UsageError(`${name}=${raw}: expected a non-negative number`, `set ${name}=10`);
    } else
      value =
        def.type === 'string'
          ? raw
          : raw
              .split(',')
              .map((s) => s.trim())
              .filter(Boolean);
    (layer.options as Record<string, unknown>)[def.key] = value;
  }
  return layer;
}

/** The layers, lowest first: user config, project config, environment. */
export function loadConfig(root: string, env: NodeJS.ProcessEnv): ConfigLayer[] {
  return [readLayer(userConfigPath(env)), readLayer(projectConfigPath(root)), envLayer(env)].filter(
    (l): l is ConfigLayer => l !== undefined,
  );
}

/** cli > env > project > user > defaults: layers fill every option the command line left alone. */
export function applyConfig(
  cli: FabOptions,
  explicit: ReadonlySet<keyof FabOptions>,
  layers: readonly ConfigLayer[],
): { options: FabOptions; settings: Record<string, SettingValue> } {
  const options = { ...cli };
  const o = options as unknown as Record<string, unknown>;
  for (const layer of layers)
    for (const [k, v] of Object.entries(layer.options)) if (!explicit.has(k as keyof FabOptions)) o[k] = v;
  return { options, settings: Object.assign({}, ...layers.map((l) => l.settings)) as Record<string, SettingValue> };
}
