import { pidFile, toolPath, uname, type Probe, type Uname } from '../commands/probes.js';
import type { Host, HostEvents } from './host.js';

/**
 * Facts: what a host is like (a pid in a pid file, `uname`, where a tool is), probed once per host and
 * run, then answered from a cache. A probe runs even under --dry-run (it changes nothing); a probe that
 * fails to run (lost connection) is not cached, so the next ask probes again.
 */

/** The facts of one run, by host name, then by fact name. Concurrent asks of one fact share one probe. */
export class FactCache {
  readonly #hosts = new Map<string, Map<string, Promise<unknown>>>();

  /** The cached value, or `load()`'s (cached once it resolves); `refresh` probes again and replaces it. */
  get<T>(host: string, name: string, load: () => Promise<T>, refresh = false): Promise<T> {
    let facts = this.#hosts.get(host);
    if (!facts) this.#hosts.set(host, (facts = new Map()));
    const cached = facts.get(name);
    if (cached && !refresh) return cached as Promise<T>;
    const loading = load();
    facts.set(name, loading);
    loading.catch(() => {
      if (facts.get(name) === loading) facts.delete(name);
    });
    return loading;
  }

  has(host: string, name: string): boolean {
    return this.#hosts.get(host)?.has(name) ?? false;
  }

  /** Forget one fact of a host (after a change that makes it stale), or all of them. */
  forget(host: string, name?: string): void {
    if (name === undefined) this.#hosts.delete(host);
    else this.#hosts.get(host)?.delete(name);
  }
}

/**
 * One cache per run, held beside the run's event bus: `Host.events` is the one object every host context
 * of a run shares (one bus per `fab` invocation, one per `runTask`), and the narrow Host interface already
 * has it, so neither Host nor the run's config changes shape. Making it a field of the run later is a
 * one-line change here.
 */
const caches = new WeakMap<HostEvents, FactCache>();

export function factCache(ctx: Host): FactCache {
  let cache = caches.get(ctx.events);
  if (!cache) caches.set(ctx.events, (cache = new FactCache()));
  return cache;
}

export interface FactOptions {
  /** Probe as root (a root-only pid file, sudo's PATH); cached apart from the login user's answer. */
  sudo?: boolean;
  /** Probe again even when the fact is cached (the caller knows it may have changed). */
  refresh?: boolean;
}

const keyOf = (probe: Probe<unknown>, opts: FactOptions): string => `${opts.sudo ? 'root ' : ''}${probe.name}`;

/** A fact of the context's host: the probe's parsed answer, probed at most once per run unless refreshed. */
export function fact<T>(ctx: Host, probe: Probe<T>, opts: FactOptions = {}): Promise<T> {
  return factCache(ctx).get(
    ctx.host.name,
    keyOf(probe, opts),
    async () => {
      // Unscoped: a fact is about the host, not about the task's current cd/env/prefix.
      const r = await ctx
        .unscoped(() => (opts.sudo ? ctx.sudo(probe.command) : ctx.run(probe.command)))
        .quiet()
        .nothrow()
        .probe();
      return probe.parse(r);
    },
    opts.refresh,
  );
}

/** Whether a fact is cached for the context's host (asking it would not probe). */
export const factCached = (ctx: Host, probe: Probe<unknown>, opts: FactOptions = {}): boolean =>
  factCache(ctx).has(ctx.host.name, keyOf(probe, opts));

/** Forget a fact of the context's host, e.g. after restarting the process a pid file names. */
export const forgetFact = (ctx: Host, probe: Probe<unknown>, opts: FactOptions = {}): void =>
  factCache(ctx).forget(ctx.host.name, keyOf(probe, opts));

export const pidFromFile = (ctx: Host, path: string, opts?: FactOptions): Promise<number | undefined> =>
  fact(ctx, pidFile(path), opts);
export const hostUname = (ctx: Host, opts?: FactOptions): Promise<Uname | undefined> => fact(ctx, uname(), opts);
export const pathOfTool = (ctx: Host, tool: string, opts?: FactOptions): Promise<string | undefined> =>
  fact(ctx, toolPath(tool), opts);
