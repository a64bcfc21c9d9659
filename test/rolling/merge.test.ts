import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Journal, runsDir, summarizeRun, type JournalRecord } from '../../lib/rolling/journal.js';
import { journalFiles, mergeRuns, mergeText } from '../../lib/rolling/merge.js';
import type { RollingState } from '../../lib/report/events.js';

const T = '2026-12-03T08:00:00Z';
/** A shard runner's project dir with one journal: its hosts end in the given states. */
function shardDir(
  id: string,
  shard: string | undefined,
  states: Record<string, RollingState>,
  outcome?: 'complete' | 'halted',
): string {
  const root = mkdtempSync(join(tmpdir(), 'fab-shard-'));
  const j = Journal.create(root, id);
  const argv = ['prod', 'rollingDeploy', ...(shard ? ['--shard', shard] : [])];
  const hosts = Object.keys(states);
  j.append({
    kind: 'start',
    id,
    time: T,
    user: 'ci',
    task: 'deploy.rollingDeploy',
    argv,
    hosts,
    batches: [hosts],
    cwd: root,
  });
  for (const [host, state] of Object.entries(states))
    if (state !== 'untouched')
      j.append({
        kind: 'step',
        time: T,
        host,
        state,
        ...(state === 'failed' ? { detail: 'gate http: 500' } : {}),
      } as JournalRecord);
  if (outcome) j.append({ kind: 'end', time: T, outcome });
  return root;
}
const merge = (dirs: string[]) => mergeRuns(journalFiles(dirs).map(summarizeRun));

describe('fab runs --merge: the shards of one run as one report', () => {
  it('is complete when every shard completed every host', () => {
    const m = merge([
      shardDir('a1', '1/2', { web1: 'done', web3: 'done' }, 'complete'),
      shardDir('a2', '2/2', { web2: 'done' }, 'complete'),
    ]);
    expect(m.ok).toBe(true);
    expect(m.hosts.map((h) => `${h.host}:${h.state}`)).toEqual(['web1:done', 'web2:done', 'web3:done']);
    expect(mergeText(m)).toMatch(
      /2 rolling runs merged\n {2}a1 {2}shard 1\/2 .*complete\n[\s\S]*3 hosts: 3 done\noutcome: complete\n$/,
    );
  });

  it('fails when one shard halted, naming its hosts', () => {
    const m = merge([
      shardDir('b1', '1/2', { web1: 'done', web3: 'failed', web5: 'untouched' }, 'halted'),
      shardDir('b2', '2/2', { web2: 'done' }, 'complete'),
    ]);
    expect(m.ok).toBe(false);
    const text = mergeText(m);
    expect(text).toContain('  web3  failed: gate http: 500  (run b1)');
    expect(text).toContain('  web5  untouched  (run b1)');
    expect(text).toMatch(/outcome: not complete\n$/);
  });

  it('fails when a shard has no journal (its runner never started), and warns of overlapping shards', () => {
    const m = merge([
      shardDir('c1', '1/3', { web1: 'done' }, 'complete'),
      shardDir('c3', '3/3', { web1: 'done', web2: 'done' }, 'complete'),
    ]);
    expect(m.missing).toEqual(['2/3']);
    expect(m.overlaps).toEqual(['web1']);
    expect(m.ok).toBe(false);
    expect(mergeText(m)).toContain('missing shards: 2/3');
  });

  it('counts a crashed shard (no end record) as not complete', () => {
    expect(merge([shardDir('d1', '1/1', { web1: 'done' })]).ok).toBe(false);
  });

  it('takes a later journal of a host over an earlier one (a resumed shard)', () => {
    const dir = shardDir('e1', '1/1', { web1: 'failed' }, 'halted');
    const later = Journal.create(dir, 'e2');
    later.append({
      kind: 'start',
      id: 'e2',
      time: T,
      user: 'ci',
      task: 't',
      argv: ['--shard', '1/1'],
      hosts: ['web1'],
      batches: [['web1']],
      cwd: dir,
    });
    later.append({ kind: 'step', time: T, host: 'web1', state: 'done' });
    later.append({ kind: 'end', time: T, outcome: 'complete' });
    const m = merge([runsDir(dir)]);
    expect(m.hosts).toEqual([{ host: 'web1', state: 'done', run: 'e2' }]);
  });

  it('refuses paths with no journals', () => {
    expect(() => journalFiles([mkdtempSync(join(tmpdir(), 'fab-empty-'))])).toThrow(/no rolling run journals/);
    expect(() => journalFiles(['/nonexistent/x'])).toThrow(/does not exist/);
  });
});
