/**
 * Everything fab does is reported as events; the console and NDJSON renderers both read this stream.
 * Events never carry secrets: commands are in their display form, output lines are masked.
 */

export interface ErrorInfo {
  name: string;
  message: string;
  code?: number | null;
  /** For connect failures: auth, refused, unreachable, dns, timeout, host-key, config or other. */
  kind?: string;
}

/** The summary's host column for a task that ran once (runsOnce, or no host selected). */
export const ONCE_HOST = '(once)';
/** The task name of `fab -H h -- cmd`: its output needs no "Executing task" line. */
export const ADHOC_TASK = 'command';

export type HostStatus = 'ok' | 'failed' | 'skipped' | 'unreachable' | 'interrupted' | 'not run';

export interface HostSummary {
  host: string;
  status: HostStatus;
  task?: string;
  reason?: string;
  /** Why a host could not be reached (ConnectError kinds). */
  kind?: string;
}

export type FabEvent =
  | { type: 'run.start'; runId: string; tasks: string[]; hosts: string[]; parallel: boolean; dryRun: boolean }
  | { type: 'task.start'; task: string; host?: string }
  | { type: 'task.end'; task: string; host?: string; ok: boolean; ms: number; error?: ErrorInfo }
  | { type: 'connect'; host: string; target: string; ms: number }
  | {
      type: 'command.start';
      host: string;
      id: number;
      requested: string;
      executed: string;
      sudo: boolean;
      local: boolean;
      dryRun?: boolean;
    }
  | { type: 'output'; host: string; id: number; stream: 'stdout' | 'stderr'; line: string }
  | { type: 'command.end'; host: string; id: number; code: number | null; signal: string | null; ms: number }
  | { type: 'transfer'; host: string; direction: 'put' | 'get'; local: string; remote: string; bytes: number }
  /** While a file moves, at most every 500 ms per file: bytes so far of total, ms since it started. */
  | {
      type: 'transfer.progress';
      host: string;
      direction: 'put' | 'get';
      local: string;
      remote: string;
      bytes: number;
      total: number;
      ms: number;
    }
  | { type: 'file.change'; host: string; path: string; changed: boolean; diff: string; dryRun: boolean }
  | { type: 'message'; host?: string; level: 'info' | 'warning'; text: string }
  /** How long an LB itself took after a change (nginx's old workers ending, HAProxy's sessions): not fab's time. */
  | { type: 'lb.wait'; host: string; lb: 'nginx' | 'haproxy'; ms: number }
  | { type: 'run.end'; ok: boolean; exitCode: number; ms: number; hosts: HostSummary[] }
  | {
      type: 'rolling.start';
      id: string;
      batches: string[][];
      maxFailures: number;
      resumed: boolean;
      skipped: string[];
      dryRun?: boolean;
    }
  | { type: 'rolling.batch'; id: string; index: number; hosts: string[] }
  | {
      type: 'rolling.host';
      id: string;
      host: string;
      state: RollingState;
      step?: string;
      detail?: string;
      release?: string;
    }
  | { type: 'rolling.gate'; id: string; host: string; gate: string; attempt: number; ok: boolean; detail: string }
  | {
      type: 'rolling.end';
      id: string;
      outcome: 'complete' | 'halted' | 'interrupted';
      hosts: RollingHostReport[];
      resume?: string;
      dryRun?: boolean;
    };

export type RollingState =
  'untouched' | 'draining' | 'deploying' | 'gating' | 'rolling back' | 'undraining' | 'done' | 'failed' | 'skipped';

export interface RollingHostReport {
  host: string;
  state: RollingState;
  /** For failed hosts: the step that failed and why. */
  step?: string;
  detail?: string;
  /** Still out of the load balancer. */
  drained: boolean;
  release?: string;
  ms?: number;
}

export type EventSink = (event: FabEvent & { time: string }) => void;

export class EventBus {
  private readonly sinks: EventSink[] = [];
  private readonly secrets = new Set<string>();

  subscribe(sink: EventSink): () => void {
    this.sinks.push(sink);
    return () => this.sinks.splice(this.sinks.indexOf(sink), 1);
  }

  /** A value that must never be printed, even if a remote command echoes it. */
  addSecret(value: string): void {
    if (value.length >= 3) this.secrets.add(value);
  }

  mask(text: string): string {
    let out = text;
    for (const s of this.secrets) if (out.includes(s)) out = out.split(s).join('***');
    return out;
  }

  emit(event: FabEvent): void {
    const e = { ...event, time: new Date().toISOString() };
    if (e.type === 'output') e.line = this.mask(e.line);
    if (e.type === 'task.end' && e.error) e.error = { ...e.error, message: this.mask(e.error.message) };
    if (e.type === 'message') e.text = this.mask(e.text);
    for (const sink of this.sinks) sink(e);
  }
}

export { LineSplitter } from './lines.js';
