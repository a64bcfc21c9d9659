import { describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { cycles, dirOf, folderArrows, folderOf, importGraph } from './import-graph.js';

const LIB = join(dirOf(import.meta.url), '../../lib');

/**
 * lib/'s folders from the top down. A module may import only from folders on a lower line: the CLI drives
 * the executor, which runs tasks; recipes and rolling runs are written against the task context and the
 * narrow Host interface (run/host.ts); the transports, events and data model sit at the bottom.
 */
const LAYERS: readonly string[][] = [
  ['index', 'cli', 'testing'],
  ['config'],
  ['exec'],
  ['registry'],
  ['rolling'],
  ['recipes'],
  ['task'],
  ['health', 'files', 'db', 'system'],
  ['run'],
  ['transport', 'report', 'loader'],
  ['model'],
  ['commands', 'errors', 'util'],
];
const rank = new Map(LAYERS.flatMap((folders, i) => folders.map((f) => [f, i] as const)));

describe('lib/ import graph', () => {
  const g = importGraph(LIB);

  it('reads every module of lib/', () => {
    expect(g.size).toBeGreaterThan(60);
    expect(g.get('task/context.ts')).toContain('run/host-context.ts');
  });

  it('has no import cycle', () => {
    expect(cycles(g)).toEqual([]);
  });

  it('names every folder in a layer', () => {
    const unknown = [...new Set([...g.keys()].map(folderOf))].filter((f) => !rank.has(f));
    expect(unknown).toEqual([]);
  });

  it('points every arrow between folders down', () => {
    const upward = [...folderArrows(g)]
      .filter(([arrow]) => {
        const [a, b] = arrow.split(' -> ') as [string, string];
        return (rank.get(a) ?? -1) >= (rank.get(b) ?? Infinity);
      })
      .map(([arrow, why]) => `${arrow} (${why})`);
    expect(upward).toEqual([]);
  });

  it('keeps recipes, file edits, gates, services and SQL off the run config and the transport internals', () => {
    const leaks = [...g]
      .filter(([m]) => ['recipes', 'files', 'health', 'system', 'db'].includes(folderOf(m)))
      .flatMap(([m, deps]) =>
        [...deps].filter((d) => d === 'run/runner.ts' || d.startsWith('transport/')).map((d) => `${m} -> ${d}`),
      );
    expect(leaks).toEqual([]);
  });
});

describe('the cycle finder', () => {
  it('finds a cycle and a self-import, and nothing in a chain', () => {
    const g = new Map([
      ['a.ts', new Set(['b.ts'])],
      ['b.ts', new Set(['c.ts'])],
      ['c.ts', new Set(['a.ts'])],
      ['d.ts', new Set(['d.ts'])],
      ['e.ts', new Set(['a.ts'])],
    ]);
    expect(cycles(g)).toEqual([['a.ts', 'b.ts', 'c.ts'], ['d.ts']]);
    expect(
      cycles(
        new Map([
          ['x.ts', new Set(['y.ts'])],
          ['y.ts', new Set<string>()],
        ]),
      ),
    ).toEqual([]);
  });
});
