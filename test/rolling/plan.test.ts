import { appendFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Journal, readJournal, summarizeRun } from '../../lib/rolling/journal.js';
import { failureBudget, overBudget, planBatches } from '../../lib/rolling/plan.js';

const hosts = (n: number) => Array.from({ length: n }, (_, i) => `web${i + 1}`);

describe('batches', () => {
  it('uses the list in order and repeats its last size', () => {
    expect(planBatches(hosts(10), [1, '25%', '50%']).map((b) => b.length)).toEqual([1, 2, 5, 2]);
    expect(planBatches(hosts(3), 1)).toEqual([['web1'], ['web2'], ['web3']]);
    expect(planBatches(hosts(5), '100%')).toEqual([hosts(5)]);
  });

  it('rounds percentages down but never below one host', () => {
    expect(planBatches(hosts(3), '10%').map((b) => b.length)).toEqual([1, 1, 1]);
    expect(planBatches(hosts(7), '50%').map((b) => b.length)).toEqual([3, 3, 1]);
  });

  it('refuses sizes that are not sizes', () => {
    expect(() => planBatches(hosts(3), 'half')).toThrow(/neither a number of hosts nor a percentage/);
    expect(() => planBatches(hosts(3), 1.5)).toThrow(/not a whole number/);
  });
});

describe('failure budget', () => {
  it('counts hosts over the whole run, percentages rounded down', () => {
    expect(failureBudget(0, 10)).toBe(0);
    expect(failureBudget('25%', 10)).toBe(2);
    expect(failureBudget('100%', 3)).toBe(3);
    expect(overBudget(1, 0)).toBe(true);
    expect(overBudget(2, 2)).toBe(false);
    // 100% never halts, even when a whole batch fails (Ansible's surprise).
    expect(overBudget(3, failureBudget('100%', 3))).toBe(false);
  });
});

describe('journal', () => {
  it('reads back what it wrote and ignores a torn last line', () => {
    const root = mkdtempSync(`${tmpdir()}/fab-journal-`);
    const j = Journal.create(root, 'r1');
    j.append({
      kind: 'start',
      id: 'r1',
      time: 't',
      user: 'u',
      task: 'deploy',
      argv: ['lab', 'deploy'],
      hosts: ['web1', 'web2'],
      batches: [['web1'], ['web2']],
      cwd: '/',
    });
    j.append({ kind: 'step', time: 't', host: 'web1', state: 'done' });
    j.append({ kind: 'step', time: 't', host: 'web2', state: 'deploying' });
    appendFileSync(j.file, '{"kind":"step","time":"t","host":"web2","sta');
    const r = readJournal(j.file);
    expect(r.records).toHaveLength(3);
    expect(r.torn).toBe(1);
    const s = summarizeRun(j.file);
    expect(s.outcome).toBe('running or crashed');
    expect(s.hosts.get('web1')?.state).toBe('done');
    expect(s.hosts.get('web2')?.state).toBe('deploying');
  });

  it('rejects a line whose checksum does not match its content', () => {
    const root = mkdtempSync(`${tmpdir()}/fab-journal-`);
    const j = Journal.create(root, 'r2');
    j.append({ kind: 'step', time: 't', host: 'web1', state: 'done' });
    writeFileSync(j.file, readFileSync(j.file, 'utf8').replace('done', 'fail'));
    expect(readJournal(j.file)).toEqual({ records: [], torn: 1 });
  });
});
