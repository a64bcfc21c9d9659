/**
 * The fab agent's sessions over a real Unix socket, with a scripted pool (no SSH): channel traffic that
 * arrives before the channel is open, a run that goes away, errors as classes, exit when nothing is held.
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectError } from '../../lib/errors.js';
import { AgentClient } from '../../lib/transport/agent/client.js';
import type { Held, OpenRequest } from '../../lib/transport/agent/pool.js';
import type { Frame } from '../../lib/transport/agent/protocol.js';
import { Agent, type PoolLike } from '../../lib/transport/agent/server.js';
import { AgentTransport } from '../../lib/transport/agent/transport.js';
import type { SshEndpoint } from '../../lib/transport/endpoint.js';
import type { ExecOptions, ExecResult, RemoteProcess, Transport } from '../../lib/transport/types.js';

const ep = { name: 'web1', host: '10.0.0.1', port: 22, user: 'u' } as SshEndpoint;

/** A command that echoes its stdin at EOF and exits 3; opening a channel takes 30 ms. */
class ScriptedTransport {
  readonly killed: string[] = [];
  async exec(command: string, opts: ExecOptions): Promise<RemoteProcess> {
    await new Promise((r) => setTimeout(r, 30));
    const input: Buffer[] = [];
    let finish!: (r: ExecResult) => void;
    const done = new Promise<ExecResult>((r) => (finish = r));
    return {
      write: (d) => void input.push(Buffer.from(d)),
      end: () => {
        opts.onStdout(Buffer.concat(input));
        opts.onStderr(Buffer.from(`ran ${command}`));
        finish({ code: 3, signal: null });
      },
      kill: () => (this.killed.push(command), finish({ code: null, signal: 'TERM' })),
      done,
    };
  }
}

class ScriptedPool implements PoolLike {
  readonly transport = new ScriptedTransport();
  readonly released: string[] = [];
  private readonly held = new Map<string, Held>();
  logins = 0;
  get size(): number {
    return this.held.size;
  }
  async open(r: OpenRequest): Promise<{ held: Held; reused: boolean }> {
    if (r.key === 'refused') throw new ConnectError(r.ep.name, 'u@h:22', 'connection refused', 'refused');
    const reused = this.held.has(r.key);
    if (!reused) this.logins++;
    const h = { key: r.key, transport: this.transport, holders: 1, persistMs: r.persistMs } as unknown as Held;
    this.held.set(r.key, h);
    return { held: h, reused };
  }
  async get(key: string): Promise<Held | undefined> {
    return this.held.get(key);
  }
  release(h: Held): void {
    this.released.push(h.key);
  }
  async closeAll(): Promise<number> {
    const n = this.held.size;
    this.held.clear();
    return n;
  }
}

let exits = 0;
let pool: ScriptedPool;
const started: AgentClient[] = [];
async function agentOn(): Promise<{ path: string; client: AgentClient }> {
  const path = join(mkdtempSync(join(tmpdir(), 'fab-agent-unit-')), 'p-agent.sock');
  pool = new ScriptedPool();
  const agent = new Agent(path, { pool: () => pool, exit: () => void exits++ });
  expect(await agent.listen()).toBe(true);
  const { client, status } = await AgentClient.connect(path, 2000);
  expect(status).toMatchObject({ version: 1, logins: 0, connections: 0 });
  started.push(client);
  return { path, client };
}
afterEach(() => started.splice(0).forEach((c) => c.close()));
const open = (c: AgentClient, key: string) => c.request({ t: 'open', key, ep, acceptNew: false, persistMs: 1000 });

describe('the fab agent server', () => {
  it('applies stdin and EOF sent before the channel opened, in order, and relays output and exit', async () => {
    const { client } = await agentOn();
    expect((await open(client, 'k1')).header.value).toEqual({ reused: false });
    expect((await open(client, 'k1')).header.value).toEqual({ reused: true });
    const id = client.newId();
    const frames: Frame[] = [];
    const exited = new Promise<void>((res) =>
      client.listen(id, { frame: (f) => (frames.push(f), f.header.t === 'exit' && res()), dead: () => res() }),
    );
    client.send({ t: 'exec', id, key: 'k1', command: 'cat' });
    client.send({ t: 'stdin', id }, Buffer.from('one '));
    client.send({ t: 'stdin', id }, Buffer.from('two'));
    client.send({ t: 'eof', id });
    await exited;
    expect(frames.map((f) => [f.header.t, f.payload.toString()])).toEqual([
      ['started', ''],
      ['out', 'one two'],
      ['err', 'ran cat'],
      ['exit', ''],
    ]);
    expect(frames[3]!.header).toMatchObject({ code: 3, signal: null });
  });

  it('runs commands for an AgentTransport like any transport, and errors come back as their classes', async () => {
    const { client } = await agentOn();
    await open(client, 'k1');
    const t = new AgentTransport(client, 'k1', ep);
    const out: string[] = [];
    const p = await t.exec('x', { onStdout: (d) => out.push(`o:${d}`), onStderr: (d) => out.push(`e:${d}`) });
    p.write('in');
    p.end();
    expect(await p.done).toEqual({ code: 3, signal: null });
    expect(out).toEqual(['o:in', 'e:ran x']);
    const refused = await open(client, 'refused').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConnectError);
    expect((refused as ConnectError).kind).toBe('refused');
    const unknown = new AgentTransport(client, 'nope', ep);
    await expect(unknown.exec('y', { onStdout() {}, onStderr() {} })).rejects.toThrow(/holds no such connection/);
  });

  it('kills the commands of a run that goes away, releases its connections, and exits when nothing is held', async () => {
    const { path, client } = await agentOn();
    await open(client, 'k1');
    const t = new AgentTransport(client, 'k1', ep);
    await t.exec('sleep 30', { onStdout() {}, onStderr() {} });
    const before = exits;
    await t.close(); // the run's last transport: its socket closes
    await until(() => pool.transport.killed.length > 0);
    expect(pool.transport.killed).toEqual(['sleep 30']);
    expect(pool.released).toEqual(['k1']);
    // The scripted pool still holds k1: the agent stays until the pool is empty.
    expect(exits).toBe(before);
    await pool.closeAll();
    const other = await AgentClient.connect(path, 2000);
    other.client.close();
    await until(() => exits > before);
    expect(existsSync(path)).toBe(false);
  });
});

describe('an AgentTransport whose agent went away', () => {
  it('sends later commands over its direct connection, opened once', async () => {
    const { client } = await agentOn();
    await open(client, 'k1');
    let opened = 0;
    const direct = new ScriptedTransport();
    const t = new AgentTransport(client, 'k1', ep, async () => (opened++, direct as unknown as Transport));
    client.close(); // the socket is gone, as when the agent is killed
    for (const cmd of ['one', 'two']) {
      const out: string[] = [];
      const p = await t.exec(cmd, { onStdout: () => undefined, onStderr: (d) => out.push(String(d)) });
      p.end();
      expect(await p.done).toEqual({ code: 3, signal: null });
      expect(out).toEqual([`ran ${cmd}`]);
    }
    expect(opened).toBe(1);
    expect(pool.transport.killed).toEqual([]);
  });

  it('without a direct connection (a jump chain), fails as a lost connection', async () => {
    const { client } = await agentOn();
    const t = new AgentTransport(client, 'k1', ep);
    client.close();
    await expect(t.exec('x', { onStdout() {}, onStderr() {} })).rejects.toThrow(
      /\[web1\] lost the connection to u@10.0.0.1:22: the fab agent went away/,
    );
  });
});

async function until(what: () => boolean): Promise<void> {
  for (let i = 0; i < 100 && !what(); i++) await new Promise((r) => setTimeout(r, 20));
}
