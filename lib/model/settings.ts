import { UsageError } from '../errors.js';
import { parseBoolean, parseNumber, ArgParseError } from './args.js';

export type SettingValue = string | number | boolean | readonly string[];

/**
 * Fabric's `env`, per host and read-only: set-level < host-level < `--set`. Values from `--set`
 * arrive as strings and are converted to the type the task asks for.
 */
export class Settings {
  constructor(
    private readonly values: Readonly<Record<string, SettingValue>>,
    private readonly host = '',
  ) {}

  has(key: string): boolean {
    return key in this.values;
  }

  all(): Readonly<Record<string, SettingValue>> {
    return this.values;
  }

  string(key: string, fallback?: string): string {
    const v = this.values[key];
    if (v === undefined) return this.missing(key, fallback);
    return Array.isArray(v) ? v.join(',') : String(v);
  }

  number(key: string, fallback?: number): number {
    const v = this.values[key];
    if (v === undefined) return this.missing(key, fallback);
    return this.convert(key, v, parseNumber);
  }

  boolean(key: string, fallback?: boolean): boolean {
    const v = this.values[key];
    if (v === undefined) return this.missing(key, fallback);
    return this.convert(key, v, parseBoolean);
  }

  list(key: string, fallback?: string[]): string[] {
    const v = this.values[key];
    if (v === undefined) return this.missing(key, fallback);
    if (Array.isArray(v)) return [...(v as string[])];
    return String(v).split(';').filter(Boolean);
  }

  private missing<T>(key: string, fallback: T | undefined): T {
    if (fallback !== undefined) return fallback;
    throw new UsageError(
      `setting "${key}" is not set${this.host ? ` for host ${this.host}` : ''}`,
      `add it to the host set's settings or pass --set ${key}=VALUE`,
    );
  }

  private convert<T>(key: string, v: SettingValue, parse: (raw: string | boolean) => T): T {
    if (typeof v === 'number' || typeof v === 'boolean') return parse(typeof v === 'number' ? String(v) : v);
    try {
      return parse(String(v));
    } catch (err) {
      if (err instanceof ArgParseError)
        throw new UsageError(`setting "${key}": ${err.message}`, `--set ${key}=VALUE with the right type`);
      throw err;
    }
  }
}
