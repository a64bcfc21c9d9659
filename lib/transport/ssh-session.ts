import type { Client, ClientChannel } from 'ssh2';

/**
 * Session channels opened ahead of time, and exec requests sent without waiting for their reply.
 *
 * ssh2's `exec` costs two round trips: it opens a channel, waits for the confirmation (the request must name the
 * server's channel number), then sends the exec request and waits for its reply before handing the channel over.
 * Here the channel for the next command is opened while the current one runs (the open goes out in the same
 * packet burst as the exec request), and the exec request, stdin and EOF go out back to back: a command on a warm
 * connection costs one round trip. Each command still gets its own channel, exit status, signals and pty.
 *
 * This reaches into ssh2 1.x internals (`_chanMgr`, `_protocol`, `_callbacks`: the same calls its own
 * `openChannel`, `reqPty` and `reqExec` make). If they move, `canPipeline` is false and ssh2's `exec` is used:
 * test/integration/latency.test.ts (a command = one turn) fails then.
 */

/** The parts of ssh2's Client and Channel used here, as ssh2 1.x defines them. */
interface ClientInternals {
  _chanMgr: { add(cb: OpenCallback): number };
  /** Agent forwarding: asked for once per connection (sshd then gives every later session SSH_AUTH_SOCK). */
  config: { allowAgentFwd?: boolean };
  _agentFwdEnabled?: boolean;
  _protocol: {
    session(localChan: number, window: number, packetSize: number): void;
    exec(chan: number, cmd: string, wantReply: boolean): void;
    openssh_agentForward(chan: number, wantReply: boolean): void;
    pty(
      chan: number,
      rows: number,
      cols: number,
      height: number,
      width: number,
      term: string,
      modes: Record<string, number> | null,
      wantReply: boolean,
    ): void;
  };
}
interface ChannelInternals {
  outgoing: { id: number; state: string };
  _callbacks: Array<(failed: boolean) => void>;
  subtype?: string;
  allowHalfOpen: boolean;
}
type OpenCallback = ((err: Error | undefined, chan?: ClientChannel) => void) & { type?: string };

/** ssh2's own window and packet size for channels it opens (lib/Channel.js). */
const MAX_WINDOW = 2 * 1024 * 1024;
const PACKET_SIZE = 32 * 1024;

export interface PtySpec {
  term: string;
  rows: number;
  cols: number;
  modes: Record<string, number>;
}

/** True when this ssh2 has the internals used here; otherwise the transport uses ssh2's public `exec`. */
export function canPipeline(client: Client): boolean {
  const c = client as unknown as Partial<ClientInternals>;
  const p = c._protocol;
  return (
    typeof c._chanMgr?.add === 'function' &&
    typeof p?.session === 'function' &&
    typeof p.openssh_agentForward === 'function' &&
    typeof c.config === 'object'
  );
}

/** Opens a session channel; resolves on the server's confirmation. */
export function openSession(client: Client): Promise<ClientChannel> {
  const c = client as unknown as ClientInternals;
  return new Promise((resolve, reject) => {
    const cb: OpenCallback = (err, chan) => (err || !chan ? reject(err ?? new Error('no channel')) : resolve(chan));
    cb.type = 'session';
    const id = c._chanMgr.add(cb);
    if (id === -1) return reject(new Error('No free channels available'));
    c._protocol.session(id, MAX_WINDOW, PACKET_SIZE);
  });
}

/**
 * Sends (pty and) exec on an open session channel without waiting for the replies; `onRefused` is called if
 * the server refuses either (the channel is closed then). Data written to the channel after this call reaches
 * the command: the server handles a channel's messages in order.
 */
export function execOn(
  client: Client,
  channel: ClientChannel,
  command: string,
  pty: PtySpec | undefined,
  onRefused: (err: Error) => void,
): void {
  const c = client as unknown as ClientInternals;
  const p = c._protocol;
  const ch = channel as unknown as ChannelInternals;
  const refused = (what: string) => (failed: boolean) => {
    if (!failed) return;
    onRefused(new Error(`Unable to ${what}`));
    channel.close();
  };
  // As ssh2's own exec does (reqAgentFwd): the first session of a connection that forwards the agent asks for it.
  if (c.config.allowAgentFwd === true && !c._agentFwdEnabled) {
    c._agentFwdEnabled = true;
    ch._callbacks.push((failed) => {
      if (failed) c._agentFwdEnabled = false;
      refused('request agent forwarding')(failed);
    });
    p.openssh_agentForward(ch.outgoing.id, true);
  }
  if (pty) {
    ch._callbacks.push(refused('request a pseudo-terminal'));
    p.pty(ch.outgoing.id, pty.rows, pty.cols, 480, 640, pty.term, pty.modes, true);
  }
  ch._callbacks.push(refused('exec'));
  ch.subtype = 'exec';
  ch.allowHalfOpen = true;
  p.exec(ch.outgoing.id, command, true);
}

/** Spare channels kept open: two, so two commands sent together (a read, the commit waiting for it) find one each. */
const SPARES = 2;

/**
 * Session channels kept open ahead of the next commands. `take` hands the oldest over (or one being opened) and
 * starts another; a spare that could not be opened (e.g. the server's MaxSessions) is replaced by a fresh open.
 */
export class SpareSession {
  private spares: Promise<ClientChannel>[] = [];

  constructor(private readonly client: () => Client) {}

  /** Opens the spares now (after connecting), so the first commands find them open. */
  prime(): void {
    while (this.spares.length < SPARES) this.spares.push(this.open());
  }

  async take(): Promise<ClientChannel> {
    const mine = this.spares.shift() ?? this.open();
    this.prime();
    return mine.catch(() => openSession(this.client()));
  }

  private open(): Promise<ClientChannel> {
    const p = openSession(this.client());
    p.catch(() => undefined); // a spare nobody takes may fail quietly (connection closing, MaxSessions)
    return p;
  }

  /** Closes the idle spares (the connection is closing). */
  close(): void {
    for (const s of this.spares.splice(0)) s.then((c) => c.close()).catch(() => undefined);
  }
}

/**
 * ssh2's signal() refuses once stdin is closed (EOF), though RFC 4254 allows the request then, and
 * sshd honours it (killpg of the session). Most commands have had EOF, so send it through the
 * protocol object in that case.
 */
export function sendSignal(channel: ClientChannel, name: string): void {
  const c = channel as unknown as {
    outgoing?: { id: number; state: string };
    _client?: { _protocol?: { signal?(id: number, sig: string): void } };
  };
  const protocol = c._client?._protocol;
  if (c.outgoing?.state === 'eof' && protocol?.signal) protocol.signal(c.outgoing.id, name);
  else channel.signal(name);
}
