import { Chalk, type ChalkInstance } from 'chalk';
import {
  ADHOC_TASK,
  ONCE_HOST,
  type EventSink,
  type FabEvent,
  type HostSummary,
  type RollingHostReport,
} from './events.js';
import { LiveRolling } from './live.js';
import { visibleControls } from './terminal-safe.js';

import { GROUPS, type Group } from './groups.js';

export { GROUPS, type Group };

export function visibleGroups(hide: readonly string[], show: readonly string[]): Set<Group> {
  const expand = (g: string): Group[] =>
    g === 'output'
      ? ['stdout', 'stderr']
      : g === 'everything'
        ? [...GROUPS]
        : GROUPS.includes(g as Group)
          ? [g as Group]
          : [];
  const visible = new Set<Group>(GROUPS);
  for (const g of hide) for (const x of expand(g)) visible.delete(x);
  for (const g of show) for (const x of expand(g)) visible.add(x);
  return visible;
}

const PALETTE = [
  'cyan',
  'magenta',
  'yellow',
  'blue',
  'green',
  'cyanBright',
  'magentaBright',
  'yellowBright',
  'blueBright',
  'greenBright',
] as const;

/**
 * Human output: every line is `[host] kind: text`, written whole with one write, so parallel hosts
 * never interleave mid-line; each host keeps one colour for the run.
 */
export function consoleSink(opts: {
  color: boolean;
  groups: Set<Group>;
  write?: (s: string) => void;
  live?: boolean;
  safe?: boolean;
}): EventSink {
  // On a terminal (unless --raw-output), remote text shows its control characters instead of obeying them.
  const shown = opts.safe ? visibleControls : (s: string) => s;
  const c: ChalkInstance = new Chalk({ level: opts.color ? 1 : 0 });
  const out = opts.write ?? ((s: string) => void process.stdout.write(s));
  // On a terminal a rolling run gets a live table; everything else scrolls above it.
  const live = opts.live ? new LiveRolling(out) : undefined;
  const write = (s: string) => (live?.active ? live.print(s) : out(s));
  const colours = new Map<string, (s: string) => string>();
  const shownAt = new Map<string, number>();
  const tag = (host?: string): string => {
    if (!host) return '';
    if (!colours.has(host)) colours.set(host, c[PALETTE[colours.size % PALETTE.length]!]);
    return `${colours.get(host)!(`[${host}]`)} `;
  };
  const line = (group: Group, host: string | undefined, text: string) => {
    if (opts.groups.has(group)) write(`${tag(host)}${text}\n`);
  };

  return (e: FabEvent) => {
    if (live?.update(e)) return;
    switch (e.type) {
      case 'task.start':
        return e.task === ADHOC_TASK ? undefined : line('status', e.host, `Executing task '${e.task}'`);
      case 'task.end':
        if (!e.ok && e.error)
          return line(
            'status',
            e.host,
            c.red(`FAILED ${e.task}: ${e.error.message.split('\n').map(shown).join('\n')}`),
          );
        return;
      case 'command.start':
        return line(
          'running',
          e.host,
          `${e.dryRun ? 'would ' : ''}${e.local ? 'local' : e.sudo ? 'sudo' : 'run'}: ${e.requested}`,
        );
      case 'output':
        return line(e.stream, e.host, `${e.stream === 'stdout' ? 'out' : c.yellow('err')}: ${shown(e.line)}`);
      case 'transfer': {
        const route = e.direction === 'put' ? `${e.local} -> ${e.remote}` : `${e.remote} -> ${e.local}`;
        return line('running', e.host, `${e.direction}: ${route} (${e.bytes} bytes)`);
      }
      case 'transfer.progress': {
        // Only on a terminal, for transfers past their first second, once a second per file.
        const key = `${e.host}\0${e.remote}`;
        if (!opts.live || e.ms < 1000 || (shownAt.get(key) ?? -1000) > e.ms - 1000) return;
        shownAt.set(key, e.ms);
        return line('running', e.host, `${e.direction}: ${e.remote} ${transferProgress(e.bytes, e.total, e.ms)}`);
      }
      case 'file.change':
        if (!e.changed) return line('running', e.host, `unchanged: ${e.path}`);
        line('running', e.host, `${e.dryRun ? 'would change' : 'changed'}: ${e.path}`);
        for (const d of e.diff.split('\n').filter(Boolean)) {
          const colour = d.startsWith('+') ? c.green : d.startsWith('-') ? c.red : (s: string) => s;
          line('running', e.host, colour(d));
        }
        return;
      case 'message':
        return line(
          e.level === 'warning' ? 'warnings' : 'user',
          e.host,
          e.level === 'warning' ? c.yellow(`Warning: ${e.text}`) : e.text,
        );
      case 'run.end':
        return summary(e.hosts, e.ok, e.ms);
      case 'rolling.start': {
        const marks = `${e.resumed ? ' (resumed)' : ''}${e.dryRun ? ' (dry run: nothing is changed)' : ''}`;
        const batches = e.batches.map((b) => `[${b.join(' ')}]`).join(' ');
        const done = e.skipped.length ? `; already done: ${e.skipped.join(' ')}` : '';
        const text = `Rolling run ${e.id}${marks}: batches ${batches}; hosts allowed to fail: ${e.maxFailures}${done}`;
        return line('status', undefined, text);
      }
      case 'rolling.batch':
        return line('status', undefined, `Batch ${e.index}: ${e.hosts.join(', ')}`);
      case 'rolling.host':
        return line(
          'status',
          e.host,
          e.state === 'failed'
            ? c.red(`FAILED at ${e.step}: ${e.detail ?? ''}`)
            : `${e.state}${e.release && e.state === 'done' ? ` (release ${e.release})` : ''}`,
        );
      case 'rolling.gate':
        return line(
          e.ok ? 'running' : 'warnings',
          e.host,
          `gate attempt ${e.attempt} ${e.ok ? 'passed' : 'failed'}: ${e.detail}`,
        );
      case 'rolling.end':
        return rollingReport(e.id, e.outcome, e.hosts, e.resume, e.dryRun);
      default:
        return;
    }
  };

  function rollingReport(id: string, outcome: string, hosts: RollingHostReport[], resume?: string, dryRun?: boolean) {
    const w = Math.max(...hosts.map((h) => h.host.length));
    const shownOutcome = outcome === 'complete' ? c.green(outcome) : c.red(outcome);
    write(`\nRolling run ${id}${dryRun ? ' (dry run)' : ''}: ${shownOutcome}\n`);
    for (const h of hosts) {
      const state =
        h.state === 'failed' ? c.red(`failed at ${h.step}`) : h.state === 'done' ? c.green('done') : h.state;
      const extra = [
        h.release ? `release ${h.release}` : '',
        h.drained ? c.yellow('still out of the load balancer') : '',
        h.state === 'failed' ? (h.detail ?? '') : '',
      ]
        .filter(Boolean)
        .join('; ');
      write(`  ${h.host.padEnd(w)}  ${state}${extra ? `  ${extra}` : ''}\n`);
    }
    if (resume) write(`  continue with: ${resume}\n`);
  }

  function summary(hosts: HostSummary[], ok: boolean, ms: number) {
    if (!hosts.length) return;
    const count = (s: string) => hosts.filter((h) => h.status === s).length;
    const parts = ['ok', 'failed', 'unreachable', 'interrupted', 'not run', 'skipped']
      .filter((s) => count(s))
      .map((s) => `${count(s)} ${s}`);
    const what = hosts.every((h) => h.host === ONCE_HOST)
      ? `${hosts.map((h) => h.task).join(', ')}, once`
      : `${hosts.length} host${hosts.length === 1 ? '' : 's'}`;
    write(`\n${ok ? c.green('Done') : c.red('Failed')} in ${(ms / 1000).toFixed(1)}s. ${what}: ${parts.join(', ')}\n`);
    const width = Math.max(...hosts.map((h) => h.host.length));
    for (const h of hosts.filter((x) => x.status !== 'ok')) {
      const first = h.reason?.split('\n')[0]?.replace(`[${h.host}] `, '');
      const reason = first ? ` ${h.task && h.task !== ADHOC_TASK ? `${h.task}: ` : ''}${first}` : '';
      write(`  ${h.host.padEnd(width)}  ${c.red(h.status)}${reason}\n`);
    }
  }
}

export function jsonSink(write: (s: string) => void = (s) => void process.stdout.write(s)): EventSink {
  return (e) => write(`${JSON.stringify(e)}\n`);
}

const MIB = 1024 * 1024;

/** `512.0 MiB of 1024.0 MiB (50%), 110.2 MiB/s` */
export function transferProgress(bytes: number, total: number, ms: number): string {
  const pct = total ? Math.floor((bytes / total) * 100) : 100;
  const rate = ms ? bytes / MIB / (ms / 1000) : 0;
  return `${(bytes / MIB).toFixed(1)} MiB of ${(total / MIB).toFixed(1)} MiB (${pct}%), ${rate.toFixed(1)} MiB/s`;
}
