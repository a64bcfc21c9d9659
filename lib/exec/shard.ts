/**
 * `--shard K/N`: this runner's slice of the selected hosts, for N controllers (a CI matrix) that
 * each take their part. Hosts are ordered by the SHA-256 of their name and dealt round-robin, so
 * the slices partition the hosts, differ in size by at most one, and do not depend on the order in
 * which the hosts were listed or selected (only on the set of names).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../errors.js';

export interface Shard {
  k: number;
  n: number;
}

export function parseShard(v: string): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(v);
  const fix = 'write --shard K/N with 1 <= K <= N, e.g. --shard 2/4 for the second of four runners';
  if (!m) throw new UsageError(`--shard ${v}: expected K/N`, fix);
  const k = Number(m[1]);
  const n = Number(m[2]);
  if (n < 1 || k < 1 || k > n || n > 10_000) throw new UsageError(`--shard ${v}: K must be from 1 to N`, fix);
  return { k, n };
}

const rank = (name: string): string => createHash('sha256').update(name).digest('hex');

/** The hosts of shard k of n, in their original order. */
export function shardOf<T extends { name: string }>(hosts: readonly T[], shard: Shard): T[] {
  const key = (name: string): string => `${rank(name)} ${name}`;
  const dealt = [...new Set(hosts.map((h) => h.name))].sort((a, b) => (key(a) < key(b) ? -1 : 1));
  const mine = new Set(dealt.filter((_, i) => i % shard.n === shard.k - 1));
  return hosts.filter((h) => mine.has(h.name));
}
