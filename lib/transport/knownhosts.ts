import { createHash, createHmac } from 'node:crypto';
import { appendFile, mkdir, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { FileCache } from '../util/file-cache.js';

/**
 * known_hosts as OpenSSH reads it: plain and hashed (`|1|salt|hash`) host fields, `[host]:port`,
 * wildcards and negation, `@revoked` (and `@cert-authority`, which we do not trust: it is skipped).
 */

export interface KnownHostEntry {
  file: string;
  line: number;
  marker?: '@revoked' | '@cert-authority';
  patterns: string;
  keyType: string;
  key: Buffer;
}

export type HostKeyVerdict =
  | { kind: 'match'; entry: KnownHostEntry }
  | { kind: 'unknown' }
  | { kind: 'changed'; known: KnownHostEntry[] }
  | { kind: 'revoked'; entry: KnownHostEntry };

export function parseKnownHosts(text: string, file: string): KnownHostEntry[] {
  const out: KnownHostEntry[] = [];
  text.split('\n').forEach((rawLine, i) => {
    const line = rawLine.trim();
    if (line === '' || line.startsWith('#')) return;
    const fields = line.split(/\s+/);
    let marker: KnownHostEntry['marker'];
    if (fields[0] === '@revoked' || fields[0] === '@cert-authority')
      marker = fields.shift() as KnownHostEntry['marker'];
    const [patterns, keyType, b64] = fields;
    if (!patterns || !keyType || !b64) return;
    const key = Buffer.from(b64, 'base64');
    if (key.length === 0) return;
    out.push({ file, line: i + 1, ...(marker ? { marker } : {}), patterns, keyType, key });
  });
  return out;
}

/** The name known_hosts uses for a host: `host` on port 22, `[host]:port` otherwise. */
export function hostToken(host: string, port = 22): string {
  return port === 22 ? host : `[${host}]:${port}`;
}

// Each connection checks every entry: compiling a RegExp per entry and host made a 200-host run O(N²) in regex
// compiles (about 80,000); a wildcard pattern is compiled once, a plain one is compared as a string.
const globs = new Map<string, RegExp>();
function globToRegExp(glob: string): RegExp {
  let re = globs.get(glob);
  if (!re) {
    const src = glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    re = new RegExp(`^${src}$`, 'i');
    globs.set(glob, re);
  }
  return re;
}

function patternMatches(pattern: string, token: string): boolean {
  if (pattern.startsWith('|1|')) {
    const [, , salt, hash] = pattern.split('|');
    if (!salt || !hash) return false;
    return createHmac('sha1', Buffer.from(salt, 'base64')).update(token).digest('base64') === hash;
  }
  if (!pattern.includes('*') && !pattern.includes('?'))
    return pattern.length === token.length && pattern.toLowerCase() === token.toLowerCase();
  return globToRegExp(pattern).test(token);
}

/** A host matches when one pattern matches and no negated (`!`) pattern does. */
export function entryMatches(entry: KnownHostEntry, host: string, port = 22): boolean {
  const token = hostToken(host, port);
  let hit = false;
  for (const p of entry.patterns.split(',')) {
    if (p.startsWith('!')) {
      if (patternMatches(p.slice(1), token)) return false;
    } else if (patternMatches(p, token)) hit = true;
  }
  return hit;
}

export function checkHostKey(
  entries: readonly KnownHostEntry[],
  host: string,
  port: number,
  key: Buffer,
): HostKeyVerdict {
  const revoked = entries.find((e) => e.marker === '@revoked' && e.key.equals(key));
  if (revoked) return { kind: 'revoked', entry: revoked };
  const mine = entries.filter((e) => !e.marker && entryMatches(e, host, port));
  const same = mine.find((e) => e.key.equals(key));
  if (same) return { kind: 'match', entry: same };
  return mine.length ? { kind: 'changed', known: mine } : { kind: 'unknown' };
}

/** The key type written inside an SSH public key blob (first length-prefixed string). */
export function keyTypeOf(blob: Buffer): string {
  if (blob.length < 4) return 'unknown';
  const n = blob.readUInt32BE(0);
  return blob.subarray(4, 4 + n).toString('ascii');
}

/** `SHA256:...` as ssh-keygen -l prints it. */
export function fingerprint(blob: Buffer): string {
  return `SHA256:${createHash('sha256').update(blob).digest('base64').replace(/=+$/, '')}`;
}

export function describeKey(blob: Buffer): string {
  return `${keyTypeOf(blob)} ${fingerprint(blob)}`;
}

export function knownHostsLine(host: string, port: number, blob: Buffer): string {
  return `${hostToken(host, port)} ${keyTypeOf(blob)} ${blob.toString('base64')}`;
}

/** Host key algorithms with the types already known for this host first, as OpenSSH orders them. */
export function preferredHostKeyAlgorithms(known: readonly KnownHostEntry[]): string[] {
  const all = [
    'ssh-ed25519',
    'ecdsa-sha2-nistp256',
    'ecdsa-sha2-nistp384',
    'ecdsa-sha2-nistp521',
    'rsa-sha2-512',
    'rsa-sha2-256',
    'ssh-rsa',
  ];
  const algos = (type: string) => (type === 'ssh-rsa' ? ['rsa-sha2-512', 'rsa-sha2-256', 'ssh-rsa'] : [type]);
  const first = [...new Set(known.flatMap((e) => algos(e.keyType)))].filter((a) => all.includes(a));
  return [...first, ...all.filter((a) => !first.includes(a))];
}

// Parsed once per file version for the whole run (a fan-out to N hosts read and parsed it N times: O(N²)).
const parsed = new FileCache((data, file) => parseKnownHosts(data.toString('utf8'), file));

export async function loadKnownHosts(files: readonly string[]): Promise<KnownHostEntry[]> {
  return (await Promise.all(files.map((f) => parsed.get(f)))).flatMap((e) => e ?? []);
}

/** Trust on first use (--accept-new): append the key, creating the file 0600 if needed. */
export async function appendKnownHost(file: string, host: string, port: number, blob: Buffer): Promise<void> {
  await mkdir(dirname(file), { recursive: true, mode: 0o700 });
  let prefix = '';
  try {
    const text = await readFile(file, 'utf8');
    if (text !== '' && !text.endsWith('\n')) prefix = '\n';
  } catch {
    /* new file */
  }
  await appendFile(file, `${prefix}${knownHostsLine(host, port, blob)}\n`, { mode: 0o600 });
}
