// `-P -z N` bounds how many hosts run at once. Each host prints when its command started and ended (the lab
// hosts share this machine's clock); the largest number of overlapping windows is what the pool allowed.
import { describe, expect, it } from 'vitest';
import { fab, REPO } from '../helpers/fab.js';

const HOSTS = ['web4', 'web5', 'web6', 'web7', 'web8', 'web9'];
const window = (s: number) => `echo "start $(date +%s%N)"; sleep ${s}; echo "end $(date +%s%N)"`;

/** Per host [start, end] in ns, from the output events. */
function windows(r: Awaited<ReturnType<typeof fab>>): Map<string, [bigint, bigint]> {
  const w = new Map<string, [bigint, bigint]>();
  for (const e of r.events) {
    if (e.type !== 'output') continue;
    const m = /^(start|end) (\d+)$/.exec(e.line);
    if (!m) continue;
    const cur = w.get(e.host) ?? [0n, 0n];
    cur[m[1] === 'start' ? 0 : 1] = BigInt(m[2]!);
    w.set(e.host, cur);
  }
  return w;
}

/** The largest number of windows open at one instant. */
function maxOverlap(ws: Iterable<[bigint, bigint]>): number {
  const edges = [...ws].flatMap(
    ([s, e]) =>
      [
        [s, 1],
        [e, -1],
      ] as [bigint, number][],
  );
  // An end and a start at the same instant do not overlap: ends first.
  edges.sort((a, b) => (a[0] === b[0] ? a[1] - b[1] : a[0] < b[0] ? -1 : 1));
  let open = 0;
  let most = 0;
  for (const [, d] of edges) most = Math.max(most, (open += d));
  return most;
}

describe('-z bounds the parallel pool', () => {
  it('an ad-hoc command on 6 hosts with -P -z 2 never has more than 2 running; without -z all run together', async () => {
    const bounded = await fab(['lab', '-H', HOSTS.join(','), '-P', '-z', '2', '--json', '--', window(0.6)]);
    expect(bounded.code).toBe(0);
    const b = windows(bounded);
    expect([...b.keys()].sort()).toEqual(HOSTS);
    for (const [s, e] of b.values()) expect(e).toBeGreaterThan(s);
    // At most 2 (under heavy load a slow connect can leave a slot briefly unused, so not exactly 2).
    expect(maxOverlap(b.values())).toBeLessThanOrEqual(2);

    // The same measure sees more than 2 when nothing bounds the pool (long windows: connects may be slow).
    const free = await fab(['lab', '-H', HOSTS.join(','), '-P', '--json', '--', window(1.5)]);
    expect(free.code).toBe(0);
    expect(maxOverlap(windows(free).values())).toBeGreaterThan(2);
  });

  it('a task run with -P -z 3 has at most 3 hosts inside it at once, and a failure does not free extra slots', async () => {
    // failOn makes web5 fail at once; the pool must still hold at most 3 running.
    const args = (extra: string[]) =>
      fab([
        '-f',
        `${REPO}test/fixtures/hardening/fabfiles`,
        'lab',
        '-H',
        HOSTS.join(','),
        '-P',
        ...extra,
        '--json',
        'window',
        '--hold',
        '0.6',
        '--fail',
        'web5',
      ]);
    const r = await args(['-z', '3']);
    expect(r.code).toBe(1);
    const w = windows(r);
    expect([...w.keys()].sort()).toEqual(HOSTS.filter((h) => h !== 'web5'));
    expect(maxOverlap(w.values())).toBeLessThanOrEqual(3);
    const hostsFailed = r.events.flatMap((e) => (e.type === 'task.end' && !e.ok ? [e.host] : []));
    expect(hostsFailed).toEqual(['web5']);
  });
});
