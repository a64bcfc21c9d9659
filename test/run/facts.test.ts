import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { HostTarget } from '../../lib/model/hostset.js';
import { Settings } from '../../lib/model/settings.js';
import { HostContext, type CoreRuntime } from '../../lib/run/host-context.js';
import {
  fact,
  factCache,
  factCached,
  FactCache,
  forgetFact,
  hostUname,
  pathOfTool,
  pidFromFile,
} from '../../lib/run/facts.js';
import type { RunConfig } from '../../lib/run/runner.js';
import { LocalTransport } from '../../lib/transport/local.js';
import { pidFile } from '../../lib/commands/probes.js';
import { raw } from '../../lib/commands/quote.js';
import { testConfig } from '../helpers/runtime.js';

const dir = mkdtempSync(join(tmpdir(), 'fabts-facts-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A real host context whose host is this machine (local transport): facts probe with real commands. */
function contextFor(cfg: RunConfig, name: string): HostContext {
  const host = { name, address: '127.0.0.1', settings: {} } as unknown as HostTarget;
  const transport = new LocalTransport();
  const rt: CoreRuntime = {
    host,
    settings: new Settings({}, name),
    task: 'facts',
    cfg,
    connect: async () => transport,
    localTransport: async () => transport,
    reopen: async () => transport,
  };
  return new HostContext(rt);
}

const probes = (events: { type: string }[]) => events.filter((e) => e.type === 'command.start').length;

describe('FactCache', () => {
  it('loads a fact once per host and name, shares a load in flight, and forgets on request', async () => {
    const cache = new FactCache();
    let loads = 0;
    const load = async () => ++loads;
    const [a, b] = await Promise.all([cache.get('web1', 'x', load), cache.get('web1', 'x', load)]);
    expect([a, b, loads]).toEqual([1, 1, 1]);
    expect(await cache.get('web2', 'x', load)).toBe(2); // another host
    expect(await cache.get('web1', 'y', load)).toBe(3); // another fact
    expect(await cache.get('web1', 'x', load, true)).toBe(4); // refresh
    expect(await cache.get('web1', 'x', load)).toBe(4);
    cache.forget('web1', 'x');
    expect(cache.has('web1', 'x')).toBe(false);
    expect(cache.has('web1', 'y')).toBe(true);
    cache.forget('web1');
    expect(cache.has('web1', 'y')).toBe(false);
  });

  it('does not keep a load that failed', async () => {
    const cache = new FactCache();
    await expect(cache.get('h', 'x', () => Promise.reject(new Error('connection lost')))).rejects.toThrow(
      'connection lost',
    );
    expect(cache.has('h', 'x')).toBe(false);
    expect(await cache.get('h', 'x', async () => 7)).toBe(7);
  });
});

describe('fact() on a real host context', () => {
  it('reads a pid file once per run and host; a new run reads it again', async () => {
    const path = join(dir, 'app.pid');
    writeFileSync(path, '4242\n');
    const { cfg, events } = testConfig();
    const web1 = contextFor(cfg, 'web1');
    expect(await pidFromFile(web1, path)).toBe(4242);
    writeFileSync(path, '5151\n');
    expect(await pidFromFile(web1, path)).toBe(4242); // cached: no second probe
    expect(probes(events)).toBe(1);
    expect(await pidFromFile(contextFor(cfg, 'web2'), path)).toBe(5151); // same run, other host
    expect(await pidFromFile(web1, path, { refresh: true })).toBe(5151);
    expect(probes(events)).toBe(3);
    const other = testConfig();
    expect(await pidFromFile(contextFor(other.cfg, 'web1'), path)).toBe(5151);
    expect(probes(other.events)).toBe(1);
    expect(factCache(web1)).toBe(factCache(contextFor(cfg, 'web3'))); // one cache per run
    expect(factCache(web1)).not.toBe(factCache(contextFor(other.cfg, 'web1')));
  });

  it('caches a missing pid file as undefined, and forgets it on request', async () => {
    const path = join(dir, 'none.pid');
    const { cfg, events } = testConfig();
    const h = contextFor(cfg, 'web1');
    expect(await pidFromFile(h, path)).toBeUndefined();
    expect(factCached(h, pidFile(path))).toBe(true);
    writeFileSync(path, '77\n');
    forgetFact(h, pidFile(path));
    expect(await pidFromFile(h, path)).toBe(77);
    expect(probes(events)).toBe(2);
  });

  it('probes under --dry-run (a probe changes nothing), quietly', async () => {
    const { cfg, events } = testConfig({ dryRun: true });
    const h = contextFor(cfg, 'web1');
    expect((await hostUname(h))?.kernel).toBe('Linux');
    expect(await pathOfTool(h, 'sh')).toMatch(/\/sh$/);
    expect(await pathOfTool(h, 'no-such-tool-fabts')).toBeUndefined();
    expect(events.filter((e) => e.type === 'output')).toEqual([]);
    expect(probes(events)).toBe(3);
  });

  it('takes any probe', async () => {
    const { cfg } = testConfig();
    const h = contextFor(cfg, 'web1');
    expect(await fact(h, { name: 'exit3', command: raw('exit 3'), parse: (r) => r.code })).toBe(3);
  });
});
