import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { parseShard, shardOf } from '../../lib/exec/shard.js';

const hosts = (names: string[]) => names.map((name) => ({ name }));
const fleet = (n: number) => hosts(Array.from({ length: n }, (_, i) => `web${i + 1}`));
const slices = (hs: { name: string }[], n: number) =>
  Array.from({ length: n }, (_, i) => shardOf(hs, { k: i + 1, n }).map((h) => h.name));

describe('--shard K/N', () => {
  it.each([
    [1, 1],
    [0, 3],
    [1, 3],
    [7, 3],
    [10, 4],
    [50, 7],
    [200, 16],
    [3, 5],
  ])('%i hosts in %i shards: a partition, sizes within one', (count, n) => {
    const all = fleet(count);
    const parts = slices(all, n);
    expect(parts.flat().sort()).toEqual(all.map((h) => h.name).sort());
    expect(new Set(parts.flat()).size).toBe(count);
    const sizes = parts.map((p) => p.length);
    expect(Math.max(...sizes) - Math.min(...sizes)).toBeLessThanOrEqual(1);
  });

  it('does not depend on the order the hosts come in, and keeps that order inside a slice', () => {
    const all = fleet(30);
    const shuffled = [...all].sort(
      (a, b) =>
        ((a.name.length * 7 + a.name.charCodeAt(a.name.length - 1)) % 11) -
        ((b.name.length * 7 + b.name.charCodeAt(b.name.length - 1)) % 11),
    );
    for (let k = 1; k <= 4; k++) {
      const a = shardOf(all, { k, n: 4 }).map((h) => h.name);
      const b = shardOf(shuffled, { k, n: 4 }).map((h) => h.name);
      expect([...b].sort()).toEqual([...a].sort());
      expect(b).toEqual(shuffled.map((h) => h.name).filter((x) => a.includes(x)));
    }
  });

  it('is the same slice on every run (a hash of the names, nothing random)', () => {
    expect(shardOf(fleet(10), { k: 2, n: 3 })).toEqual(shardOf(fleet(10), { k: 2, n: 3 }));
    // Golden: the documented assignment must not change between versions (CI runners rely on it).
    expect(slices(fleet(6), 2)).toEqual([
      ['web1', 'web2', 'web4'],
      ['web3', 'web5', 'web6'],
    ]);
  });

  it.each([
    ['2/4', { k: 2, n: 4 }],
    [' 1 / 1 ', { k: 1, n: 1 }],
    ['10/10', { k: 10, n: 10 }],
  ])('parses %j', (v, want) => expect(parseShard(v)).toEqual(want));
  it.each(['0/4', '5/4', '2', 'a/b', '1/0', '-1/3', '2/4/8'])('refuses %j with the fix', (v) => {
    expect(() => parseShard(v)).toThrow(UsageError);
    expect(() => parseShard(v)).toThrow(/--shard/);
  });
});
