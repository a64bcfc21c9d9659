import { UsageError } from '../errors.js';

/**
 * Fabric 1's argument grammar: `task:a,b,k=v`, and `--set k=v,k2`. `\,` and `\=` are the only escapes;
 * a backslash before anything else is kept as is, so Windows-ish paths and regexes survive.
 */

/** Split on an unescaped separator; the escapes for `,` and `=` are resolved later by `unescape`. */
function splitUnescaped(text: string, sep: string, limit = Infinity): string[] {
  const parts: string[] = [];
  let cur = '';
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (c === '\\' && (text[i + 1] === ',' || text[i + 1] === '=')) {
      cur += c + text[i + 1];
      i++;
    } else if (c === sep && parts.length < limit - 1) {
      parts.push(cur);
      cur = '';
    } else {
      cur += c;
    }
  }
  parts.push(cur);
  return parts;
}

const unescape = (s: string): string => s.replace(/\\([,=])/g, '$1');

export interface KeyValueList {
  positional: string[];
  named: [string, string][];
}

/** `a,k=v,b` -> positional [a, b], named [[k, v]]. `context` names the source in error messages. */
export function parseKeyValueList(text: string, context: string): KeyValueList {
  const out: KeyValueList = { positional: [], named: [] };
  if (text === '') return out;
  for (const piece of splitUnescaped(text, ',')) {
    const kv = splitUnescaped(piece, '=', 2);
    if (kv.length === 1) {
      out.positional.push(unescape(piece));
      continue;
    }
    const key = unescape(kv[0]!).trim();
    if (key === '')
      throw new UsageError(
        `${context}: "${piece}" has an empty name before "="`,
        'write name=value, and escape a literal = or , as \\= or \\,',
      );
    out.named.push([key, unescape(kv[1]!)]);
  }
  return out;
}

export const RESERVED = ['host', 'hosts', 'role', 'roles', 'exclude_hosts'] as const;

export interface TaskWord {
  name: string;
  positional: string[];
  named: Record<string, string>;
  hosts?: string[];
  roles?: string[];
  excludeHosts?: string[];
}

/** `deploy:1.2.3,force=true,hosts=a;b` as Fabric 1 reads it. */
export function parseTaskWord(word: string): TaskWord {
  const colon = word.indexOf(':');
  const name = colon === -1 ? word : word.slice(0, colon);
  if (name === '')
    throw new UsageError(`malformed task "${word}": no task name before ":"`, 'write TASK:arg1,key=value');
  const out: TaskWord = { name, positional: [], named: {} };
  if (colon === -1) return out;
  const list = parseKeyValueList(word.slice(colon + 1), `task ${name}`);
  out.positional = list.positional;
  for (const [key, value] of list.named) {
    const values = value
      .split(';')
      .map((v) => v.trim())
      .filter(Boolean);
    if (key === 'host' || key === 'hosts') out.hosts = [...(out.hosts ?? []), ...values];
    else if (key === 'role' || key === 'roles') out.roles = [...(out.roles ?? []), ...values];
    else if (key === 'exclude_hosts') out.excludeHosts = [...(out.excludeHosts ?? []), ...values];
    else {
      if (key in out.named) throw new UsageError(`task ${name}: "${key}" given twice in "${word}"`);
      out.named[key] = value;
    }
  }
  return out;
}

/** `--set k=v,flag,k2=a\,b` -> { k: 'v', flag: 'true', k2: 'a,b' } (Fabric sets a bare key to True). */
export function parseSetOption(text: string): Record<string, string> {
  const list = parseKeyValueList(text, '--set');
  const out: Record<string, string> = {};
  for (const key of list.positional) {
    if (key.trim() === '')
      throw new UsageError(`--set "${text}": empty setting name`, 'write --set key=value,key2=value2');
    out[key.trim()] = 'true';
  }
  for (const [k, v] of list.named) out[k] = v;
  return out;
}
