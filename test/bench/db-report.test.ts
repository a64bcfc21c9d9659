import { describe, expect, it } from 'vitest';
import { modes } from '../../bench/db-report.js';

describe('bench:db modes', () => {
  it.each([
    ['one mode: no gap over 0.3 s', [1.7, 1.8, 1.75, 1.72, 1.79], [{ median: 1.75, count: 5 }]],
    [
      'the restore of the afternoon: about 0.9 s more in some runs',
      [1.7, 2.7, 1.8, 2.6, 1.75, 2.65, 1.72],
      [
        { median: 1.735, count: 4 },
        { median: 2.65, count: 3 },
      ],
    ],
    ['a gap under a quarter of the fastest run is one mode', [7.0, 8.0, 7.1], [{ median: 7.1, count: 3 }]],
    ['one run', [2], [{ median: 2, count: 1 }]],
  ])('%s', (_what, runs, want) => {
    const got = modes(runs).map((m) => ({ median: Number(m.median.toFixed(3)), count: m.count }));
    expect(got).toEqual(want);
  });
});
