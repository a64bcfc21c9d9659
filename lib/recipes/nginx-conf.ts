/**
 * nginx upstream blocks, read and edited as text (pure): which `server` lines each upstream has,
 * whether they are enabled, and commenting/uncommenting one backend by its exact name.
 */

export interface UpstreamServer {
  upstream: string;
  /** 1-based line number. */
  line: number;
  text: string;
  /** `web1:8080` as written. */
  address: string;
  /** `web1`. */
  host: string;
  enabled: boolean;
}

const UPSTREAM_OPEN = /^\s*upstream\s+(\S+)\s*\{/;
const SERVER = /^(\s*)((?:#\s*)*)server\s+([^\s;]+)([^;]*);(.*)$/;

function hostOf(address: string): string {
  if (address.startsWith('[')) return address.slice(1, address.indexOf(']'));
  if (address.startsWith('unix:')) return address;
  return address.split(':')[0]!;
}

/** Every `server` line inside an `upstream { }` block, commented ones included. */
export function listUpstreams(conf: string): UpstreamServer[] {
  const out: UpstreamServer[] = [];
  let current: string | undefined;
  let depth = 0;
  conf.split('\n').forEach((text, i) => {
    const code = text.replace(/#.*$/, '');
    if (current === undefined) {
      const open = UPSTREAM_OPEN.exec(code);
      if (open) {
        current = open[1]!;
        depth = 0;
      }
    }
    if (current !== undefined) {
      const s = SERVER.exec(text);
      if (s)
        out.push({ upstream: current, line: i + 1, text, address: s[3]!, host: hostOf(s[3]!), enabled: s[2] === '' });
      for (const ch of code) {
        if (ch === '{') depth++;
        if (ch === '}' && --depth === 0) current = undefined;
      }
    }
  });
  return out;
}

/** `web1` names the host whatever its port; `web1:8080` names exactly that address. Never web10 or web1.example.com. */
export function isBackend(server: UpstreamServer, backend: string): boolean {
  return backend.includes(':') && !backend.startsWith('[')
    ? server.address === backend
    : server.host === backend || server.address === backend;
}

export class UpstreamError extends Error {}

/**
 * Enable or disable one backend in every upstream that has it: comment (`#server ...`) or uncomment
 * its line, keeping indentation and parameters. Refuses a backend in no upstream, and (unless
 * `force`) leaving an upstream with no enabled server: an empty pool is an outage.
 */
export function setBackend(
  conf: string,
  backend: string,
  enabled: boolean,
  force = false,
): { text: string; matched: UpstreamServer[] } {
  const all = listUpstreams(conf);
  const matched = all.filter((s) => isBackend(s, backend));
  if (!matched.length) {
    const known = [...new Set(all.map((s) => s.address))].join(', ') || 'none';
    throw new UpstreamError(`backend "${backend}" is in no upstream block (servers: ${known})`);
  }
  if (!enabled && !force) {
    for (const up of new Set(matched.map((s) => s.upstream))) {
      const left = all.filter((s) => s.upstream === up && s.enabled && !isBackend(s, backend));
      if (!left.length)
        throw new UpstreamError(
          `disabling "${backend}" would leave upstream ${up} with no enabled server (an outage); pass --force to do it anyway`,
        );
    }
  }
  const lines = conf.split('\n');
  for (const s of matched) {
    const m = SERVER.exec(lines[s.line - 1]!)!;
    lines[s.line - 1] = `${m[1]}${enabled ? '' : '#'}server ${m[3]}${m[4]};${m[5]}`;
  }
  return { text: lines.join('\n'), matched };
}
