/**
 * Finding the fab agent, starting it, replacing a dead or wedged one, and opening connections through
 * it. Kept small: this is on the path of every warm run, before the first byte reaches the agent.
 */
import { spawn } from 'node:child_process';
import { lstatSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../../errors.js';
import { ensureControlDir, controlDirPath, socketPath } from '../control-dir.js';
import type { Credentials } from '../credentials.js';
import type { SshEndpoint } from '../endpoint.js';
import { endpointIdentity } from '../openssh-args.js';
import type { Transport } from '../types.js';
import { AgentClient, type AgentStatus } from './client.js';
import { PROTOCOL_VERSION } from './version.js';
import { AgentTransport } from './transport.js';
import { libDir } from '../../util/lib-dir.js';

/** A live agent greets in about a millisecond; one that has not within this is wedged. */
const HELLO_TIMEOUT_MS = 2000;
/** How long a newly started agent may take to listen (Node's start-up on a loaded machine). */
const START_TIMEOUT_MS = 10_000;
const POLL_MS = 20;

export interface AgentOptions {
  persistMs: number;
  acceptNew: boolean;
  sshConfigPath?: string;
  /** Default: controlDirPath() ($XDG_RUNTIME_DIR/fabts or ~/.cache/fabts/ssh). */
  controlDir?: string;
}

/** The agent could not be reached or started: the run goes on over direct connections. */
export class AgentUnavailable extends Error {
  override name = 'AgentUnavailable';
}

/** `p-agent.sock`: the dot keeps it out of the OpenSSH masters' list (persistentSockets). */
export const agentSocket = (dir: string): string => socketPath(dir, 'agent.sock', true);

/** Only a socket of ours is spoken to; anything else at that path is refused, never removed. */
function checkSocket(path: string): boolean {
  let st;
  try {
    st = lstatSync(path);
  } catch {
    return false;
  }
  const uid = process.getuid?.() ?? 0;
  if (!st.isSocket() || st.uid !== uid) {
    const what = st.isSocket() ? `belongs to uid ${st.uid}` : 'is not a socket';
    throw new UsageError(
      `fab agent socket ${path} ${what}: refusing to use it`,
      `remove it (rm ${path}) and run again`,
    );
  }
  return true;
}

async function tryConnect(path: string): Promise<{ client: AgentClient; status: AgentStatus } | undefined> {
  try {
    const r = await AgentClient.connect(path, HELLO_TIMEOUT_MS);
    if (r.status.version === PROTOCOL_VERSION) return r;
    // Another fab version's agent: ask it to stop; its connections are not ours to share.
    await r.client.request({ t: 'stop' }).catch(() => undefined);
    r.client.close();
  } catch {
    /* dead, wedged or absent */
  }
  return undefined;
}

/** Connects to the agent, starting (or replacing) it first if nothing live answers on its socket. */
export async function connectAgent(dir: string): Promise<AgentClient> {
  const path = agentSocket(dir);
  if (checkSocket(path)) {
    const live = await tryConnect(path);
    if (live) return live.client;
    try {
      unlinkSync(path);
    } catch {
      /* another run replaced it first */
    }
  }
  const entry = join(libDir(), 'transport', 'agent', 'main.js');
  try {
    spawn(process.execPath, [entry, path], { detached: true, stdio: 'ignore', cwd: '/', env: agentEnv() }).unref();
  } catch (err) {
    throw new AgentUnavailable(`cannot start the fab agent: ${(err as Error).message}`);
  }
  for (const end = Date.now() + START_TIMEOUT_MS; Date.now() < end;) {
    await new Promise((r) => setTimeout(r, POLL_MS));
    const live = checkSocket(path) ? await tryConnect(path) : undefined;
    if (live) return live.client;
  }
  throw new AgentUnavailable(`the fab agent did not answer on ${path} within ${START_TIMEOUT_MS / 1000}s`);
}

/** The agent outlives the run: it keeps none of the run's FAB_* values (sudo and login passwords among them). */
function agentEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('FAB_')));
}

let shared: Promise<AgentClient> | undefined;

/** One socket per run, shared by its hosts; a closed or dead one is replaced. */
function sharedClient(dir: string): Promise<AgentClient> {
  const fresh = (): Promise<AgentClient> => (shared = connectAgent(dir));
  if (!shared) return fresh();
  return shared.then(
    (c) => (c.dead ? fresh() : c),
    () => fresh(),
  );
}

/** Opens (or finds warm) the connection of `ep` in the agent. */
export async function openViaAgent(
  ep: SshEndpoint,
  o: AgentOptions,
  via?: AgentTransport,
  creds?: Credentials,
  direct?: () => Promise<Transport>,
): Promise<{ transport: AgentTransport; reused: boolean }> {
  const dir = ensureControlDir(o.controlDir ?? controlDirPath());
  let client: AgentClient;
  try {
    client = await sharedClient(dir);
  } catch (err) {
    throw err instanceof UsageError || err instanceof AgentUnavailable ? err : new AgentUnavailable(String(err));
  }
  const key = endpointIdentity(ep, {
    acceptNew: o.acceptNew,
    ...(o.sshConfigPath ? { sshConfigPath: o.sshConfigPath } : {}),
    ...(via ? { via: via.key } : {}),
  });
  // Secrets go over the socket only to log in; a warm connection is found before any is asked for.
  const password = creds?.passwordAuth ? await creds.password(ep.user) : undefined;
  const passphrase = creds?.givenPassphrase;
  const f = await client.request({
    t: 'open',
    key,
    ep,
    acceptNew: o.acceptNew,
    persistMs: o.persistMs,
    ...(via ? { via: via.key } : {}),
    ...(password !== undefined ? { password } : {}),
    ...(passphrase !== undefined ? { passphrase } : {}),
  });
  const transport = new AgentTransport(client, key, ep, direct);
  return { transport, reused: (f.header.value as { reused: boolean }).reused };
}

/** `fab --persist-stop`: the agent closes every connection and exits; returns how many it closed. */
export async function stopAgent(controlDir = controlDirPath()): Promise<number> {
  const path = agentSocket(ensureControlDir(controlDir));
  if (!checkSocket(path)) return 0;
  const live = await tryConnect(path);
  if (!live) {
    unlinkSync(path);
    return 0;
  }
  const f = await live.client.request({ t: 'stop' });
  live.client.close();
  return (f.header.value as { closed: number }).closed;
}

/** The agent's counters (tests: SSH logins it made), or undefined when none runs. */
export async function agentStatus(controlDir = controlDirPath()): Promise<AgentStatus | undefined> {
  const path = agentSocket(controlDir);
  const live = checkSocket(path) ? await tryConnect(path) : undefined;
  live?.client.close();
  return live?.status;
}
