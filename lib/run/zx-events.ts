/**
 * zx's log hook, turned into fab events: a `$` command is reported as `command.start` (local), its
 * output as whole `output` lines, its exit as `command.end`, exactly like `local()`. zx itself
 * never writes to the terminal, so --hide, --json and the host prefix apply to `$` too.
 */
import type { LogEntry } from 'zx/core';
import type { HostEvents } from './host.js';
import { LineSplitter } from '../report/lines.js';
import { newCommandId } from './runner.js';

export interface ZxLogTarget {
  events: HostEvents;
  host: string;
  /** Under warnOnly a failure warns (the command runs with zx's nothrow). */
  warnOnly: boolean;
}

interface Running {
  id: number;
  cmd: string;
  out: LineSplitter;
  err: LineSplitter;
}

/** A zx `log` function bound to one host's event stream. */
export function zxLog(target: ZxLogTarget): (entry: LogEntry) => void {
  const { events, host } = target;
  const running = new Map<string, Running>();
  return (entry) => {
    switch (entry.kind) {
      case 'cmd': {
        const id = newCommandId();
        const cmd = events.mask(entry.cmd);
        const line = (stream: 'stdout' | 'stderr') => (text: string) =>
          events.emit({ type: 'output', host, id, stream, line: text });
        running.set(entry.id, {
          id,
          cmd,
          out: new LineSplitter(line('stdout')),
          err: new LineSplitter(line('stderr')),
        });
        events.emit({ type: 'command.start', host, id, requested: cmd, executed: cmd, sudo: false, local: true });
        return;
      }
      case 'stdout':
      case 'stderr': {
        // zx marks a quiet() command's output not verbose: kept in the result, not shown.
        const r = running.get(entry.id);
        if (r && entry.verbose !== false) (entry.kind === 'stdout' ? r.out : r.err).push(entry.data);
        return;
      }
      case 'end': {
        const r = running.get(entry.id);
        if (!r) return;
        // zx adds a missing final newline to stdout/stderr right after this entry, synchronously.
        queueMicrotask(() => {
          running.delete(entry.id);
          r.out.flush();
          r.err.flush();
          const { exitCode: code, signal } = entry;
          events.emit({ type: 'command.end', host, id: r.id, code, signal, ms: Math.round(entry.duration) });
          if (code !== 0 && target.warnOnly) {
            const text = `command failed (code ${code}), continuing (warn only): ${r.cmd}`;
            events.emit({ type: 'message', host, level: 'warning', text });
          }
        });
        return;
      }
      default:
        return;
    }
  };
}
