/**
 * `fab runs --merge DIR...`: the journals of one rolling deploy split over N runners (`--shard K/N`,
 * one CI job each) read as one run: every host's last state, every shard's outcome, one exit code.
 */
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import { runsDir, summarizeRun, type RunSummary } from './journal.js';

export interface MergedRun {
  runs: { summary: RunSummary; shard?: string }[];
  hosts: { host: string; state: string; run: string; detail?: string }[];
  /** Shards of N that no journal covers, e.g. a runner that never started. */
  missing: string[];
  /** Hosts that more than one shard touched: the shards were not cut from the same host list. */
  overlaps: string[];
  ok: boolean;
}

/** Journal files under each argument: a journal, a runs directory, or a project root (its .fab/runs). */
export function journalFiles(paths: readonly string[]): string[] {
  const out: string[] = [];
  for (const p of paths) {
    if (!existsSync(p))
      throw new UsageError(`fab runs --merge: ${p} does not exist`, 'give the .fab/runs directories of every shard');
    if (statSync(p).isFile()) out.push(p);
    else {
      const dir = existsSync(runsDir(p)) ? runsDir(p) : p;
      out.push(
        ...readdirSync(dir)
          .filter((f) => f.endsWith('.ndjson'))
          .sort()
          .map((f) => join(dir, f)),
      );
    }
  }
  if (!out.length) {
    throw new UsageError(
      `fab runs --merge: no rolling run journals (*.ndjson) in ${paths.join(', ')}`,
      'give the .fab/runs directories the shards wrote',
    );
  }
  return out;
}

const shardArg = (argv: readonly string[]): string | undefined => {
  const i = argv.findIndex((a) => a === '--shard' || a.startsWith('--shard='));
  if (i === -1) return undefined;
  return argv[i]!.includes('=') ? argv[i]!.slice('--shard='.length) : argv[i + 1];
};

export function mergeRuns(summaries: readonly RunSummary[]): MergedRun {
  const runs = summaries.map((summary) => {
    const shard = summary.start ? shardArg(summary.start.argv) : undefined;
    return shard ? { summary, shard } : { summary };
  });
  const hosts = new Map<string, MergedRun['hosts'][number]>();
  const seenIn = new Map<string, Set<string>>();
  for (const { summary, shard } of runs) {
    for (const [host, rec] of summary.hosts) {
      seenIn.set(host, (seenIn.get(host) ?? new Set()).add(shard ?? summary.id));
      const prev = hosts.get(host);
      // A later journal of the same host (e.g. a resumed run) replaces the earlier state.
      if (prev && prev.run > summary.id) continue;
      hosts.set(host, { host, state: rec.state, run: summary.id, ...(rec.detail ? { detail: rec.detail } : {}) });
    }
    for (const host of summary.start?.hosts ?? []) {
      if (!hosts.has(host)) hosts.set(host, { host, state: 'untouched', run: summary.id });
    }
  }
  const ofN = runs.map((r) => r.shard?.split('/')).filter((s): s is string[] => !!s && s.length === 2);
  const n = Math.max(0, ...ofN.map((s) => Number(s[1])));
  const have = new Set(ofN.map((s) => Number(s[0])));
  const missing = Array.from({ length: n }, (_, i) => i + 1)
    .filter((k) => !have.has(k))
    .map((k) => `${k}/${n}`);
  const overlaps = [...seenIn]
    .filter(([, s]) => s.size > 1)
    .map(([h]) => h)
    .sort();
  const list = [...hosts.values()].sort((a, b) => a.host.localeCompare(b.host, 'en', { numeric: true }));
  const allDone = list.every((h) => h.state === 'done' || h.state === 'skipped');
  const ok = !missing.length && allDone && runs.every((r) => r.summary.outcome === 'complete');
  return { runs, hosts: list, missing, overlaps, ok };
}

export function mergeText(m: MergedRun): string {
  const lines = [`${m.runs.length} rolling run${m.runs.length === 1 ? '' : 's'} merged`];
  for (const { summary: s, shard } of m.runs)
    lines.push(`  ${s.id}  shard ${shard ?? '-'}  ${s.start?.task ?? '?'}  ${s.outcome}`);
  if (m.missing.length) lines.push(`missing shards: ${m.missing.join(', ')} (no journal; did that runner start?)`);
  if (m.overlaps.length) lines.push(`warning: hosts in more than one shard: ${m.overlaps.join(', ')}`);
  const counts = new Map<string, number>();
  for (const h of m.hosts) counts.set(h.state, (counts.get(h.state) ?? 0) + 1);
  lines.push(`${m.hosts.length} hosts: ${[...counts].map(([s, c]) => `${c} ${s}`).join(', ')}`);
  for (const h of m.hosts) {
    if (h.state !== 'done') lines.push(`  ${h.host}  ${h.state}${h.detail ? `: ${h.detail}` : ''}  (run ${h.run})`);
  }
  lines.push(m.ok ? 'outcome: complete' : 'outcome: not complete');
  return `${lines.join('\n')}\n`;
}
