import type { Duplex } from 'node:stream';
import { ConnectError, errorMessage } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import { parseHostSpec } from './host-pattern.js';
import type { EventBus } from '../report/events.js';
import type { SshEndpoint, SshOptions } from '../transport/endpoint.js';
import type { OpenSshOptions } from '../transport/openssh-connect.js';
import type { AgentOptions } from '../transport/agent/start.js';
import type { SshConfigFile } from '../transport/sshconfig.js';
import type { SshTransport } from '../transport/ssh.js';
import type { Transport } from '../transport/types.js';

export interface ConnectionOptions {
  ssh: SshOptions;
  sshConfigPath?: string;
  events: EventBus;
  /** Finds a host of the loaded host sets by name (for jump hosts); undefined for raw names. */
  lookup(name: string): HostTarget | undefined;
  /** Aborted on Ctrl-C: connects in progress give up at once (the late connection is closed). */
  signal?: AbortSignal;
  /** Opens hosts' transports instead of SSH (fabts/testing's scripted transport); ssh2 when absent. */
  factory?: TransportFactory;
  /** The transport of `local()` commands; execa's when absent. */
  localFactory?: () => Promise<Transport>;
  /** Use the system's OpenSSH client (ControlMaster) instead of the embedded ssh2; needed by --persist. */
  openssh?: OpenSshOptions;
  /** --persist over ssh2: connections live in the per-user fab agent and serve later runs. */
  agent?: AgentOptions;
}

/** Opens the transport of one host. */
export type TransportFactory = (target: HostTarget) => Promise<Transport>;

/** A host named on the command line that is in no host set: `user@host:port`, completed by ssh_config. */
export function rawTarget(spec: string): HostTarget {
  const { user, host, port } = parseHostSpec(spec);
  return {
    name: spec,
    address: host,
    keys: [],
    transport: 'ssh',
    roles: [],
    settings: {},
    ...(user ? { user } : {}),
    ...(port ? { port } : {}),
  };
}

/** How the pool hands out a host's connection: by key; `hop` for a jump host on the way to another host. */
export type Pooled = (target: HostTarget, key: string, hop: boolean) => Promise<Transport>;

/**
 * Opens the transport of one host: the endpoint from the host set, ssh_config and the command line, then
 * through the fab agent, the system ssh client or the embedded ssh2, with retries, jump hosts and ProxyCommand.
 * Jump hosts come from the pool (connections.ts), so a hop is opened once however many hosts use it.
 */
export class HostOpener {
  private configFile?: Promise<SshConfigFile>;
  /** The agent could not be started: this run connects directly (warned once). */
  private agentDown = false;

  constructor(
    private readonly opts: ConnectionOptions,
    private readonly pooled: Pooled,
  ) {}

  async open(target: HostTarget, hop: boolean): Promise<Transport> {
    if (this.opts.factory) return this.opts.factory(target);
    if (target.transport === 'local') return openLocal();
    // ssh2 is loaded only when used: the OpenSSH transport and the agent's clients do not pay for it.
    const agent = this.opts.agent && !this.agentDown;
    const [{ resolveEndpoint, describeEndpoint }, { SshConfigFile }, ssh2] = await Promise.all([
      import('../transport/endpoint.js'),
      import('../transport/sshconfig.js'),
      this.opts.openssh || agent ? undefined : this.ssh2(),
    ]);
    this.configFile ??= SshConfigFile.load(this.opts.sshConfigPath);
    const { gateway, ...noGateway } = this.opts.ssh;
    const ep = resolveEndpoint(
      target,
      (await this.configFile).lookup(target.name, this.opts.ssh.user ?? target.user),
      hop || !gateway ? noGateway : this.opts.ssh,
    );
    const started = Date.now();
    let via: Awaited<ReturnType<typeof this.viaJump>> | undefined;
    if (ep.jump) via = await this.viaJump(ep.jump, target.name);
    for (let attempt = 1; ; attempt++) {
      try {
        if (agent && (!ep.jump || this.isAgent(via))) {
          const opened = await this.viaAgent(ep, via, target.name, started);
          if (opened) return opened;
        }
        if (this.opts.openssh) {
          const { openOpenSsh } = await import('../transport/openssh-connect.js');
          // With openssh on, every hop is an OpenSshTransport too (viaJump goes through get()).
          const { transport, reused } = await openOpenSsh(
            ep,
            this.opts.openssh,
            via as unknown as Parameters<typeof openOpenSsh>[2],
          );
          const where = `${describeEndpoint(ep)}${ep.jump ? ` via ${ep.jump}` : ''}${reused ? ' (warm)' : ''}`;
          this.opts.events.emit({ type: 'connect', host: target.name, target: where, ms: Date.now() - started });
          return transport;
        }
        const [{ openSsh }, { SshTransport }] = ssh2 ?? (await this.ssh2());
        const sock = via ? await this.forward(via as SshTransport, ep, target.name) : undefined;
        const ssh = await openSsh(ep, this.opts.ssh.acceptNew, sock, this.opts.ssh.credentials);
        this.opts.events.emit({
          type: 'connect',
          host: target.name,
          target: `${describeEndpoint(ep)}${ep.jump ? ` via ${ep.jump}` : ep.proxyCommand ? ' via ProxyCommand' : ''}`,
          ms: Date.now() - started,
        });
        return new SshTransport(ssh, target.name, describeEndpoint(ep), ep);
      } catch (err) {
        if (!(err instanceof ConnectError && err.retryable && attempt < this.opts.ssh.attempts)) throw err;
        this.opts.events.emit({
          type: 'message',
          host: target.name,
          level: 'warning',
          text: `${err.message}; attempt ${attempt + 1} of ${this.opts.ssh.attempts}`,
        });
        await new Promise((r) => setTimeout(r, 1000));
      }
    }
  }

  private ssh2() {
    return Promise.all([import('../transport/ssh-connect.js'), import('../transport/ssh.js')]);
  }

  private isAgent(t: Transport | undefined): boolean {
    return t !== undefined && 'viaAgent' in t;
  }

  /**
   * The connection held by the fab agent (started if needed); undefined when the agent cannot be
   * started, after a warning: the run then connects directly, never waiting on the agent.
   */
  private async viaAgent(ep: SshEndpoint, via: Transport | undefined, name: string, started: number) {
    const { openViaAgent, AgentUnavailable } = await import('../transport/agent/start.js');
    const { describeEndpoint } = await import('../transport/endpoint.js');
    // If the agent dies mid-run, the host's later commands go over a direct connection (no jump chain).
    const direct = ep.jump ? undefined : () => this.direct(ep, name);
    try {
      const hop = via as Parameters<typeof openViaAgent>[2];
      const { transport, reused } = await openViaAgent(ep, this.opts.agent!, hop, this.opts.ssh.credentials, direct);
      const where = `${describeEndpoint(ep)}${ep.jump ? ` via ${ep.jump}` : ''}${reused ? ' (warm)' : ''}`;
      this.opts.events.emit({ type: 'connect', host: name, target: where, ms: Date.now() - started });
      return transport;
    } catch (err) {
      if (!(err instanceof AgentUnavailable)) throw err;
      if (!this.agentDown) {
        this.agentDown = true;
        const text = `${err.message}; connecting directly (connections will not be kept)`;
        this.opts.events.emit({ type: 'message', host: name, level: 'warning', text });
      }
      return undefined;
    }
  }

  private async direct(ep: SshEndpoint, name: string): Promise<Transport> {
    const [{ openSsh }, { SshTransport }] = await this.ssh2();
    const { describeEndpoint } = await import('../transport/endpoint.js');
    const ssh = await openSsh(ep, this.opts.ssh.acceptNew, undefined, this.opts.ssh.credentials);
    return new SshTransport(ssh, name, describeEndpoint(ep), ep);
  }

  /**
   * The jump host's channel to the target; its refusal (target down, no route) is a connect error, retried
   * like one.
   */
  private async forward(via: SshTransport, ep: SshEndpoint, name: string): Promise<Duplex> {
    try {
      return await via.forward(ep.host, ep.port);
    } catch (err) {
      throw new ConnectError(
        name,
        `${ep.user}@${ep.host}:${ep.port} via ${ep.jump}`,
        `the jump host could not reach it: ${errorMessage(err)}`,
      );
    }
  }

  /** ProxyJump `a` or `a,b`: the last hop is reached through the ones before it (recursively); hops are pooled. */
  private async viaJump(jump: string, forHost: string): Promise<Transport> {
    const hops = jump
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean);
    if (hops.includes(forHost))
      throw new ConnectError(forHost, jump, 'the host is its own jump host (ProxyJump loop)', 'config');
    const last = hops.pop()!;
    const base = this.opts.lookup(last) ?? rawTarget(last);
    // A hop that jumps the way its host set says already shares that host's connection.
    const own = !hops.length || hops.join(',') === base.jump;
    const hop: HostTarget = own ? base : { ...base, jump: hops.join(',') };
    return this.pooled(hop, own ? last : `${hops.join(',')},${last}`, true);
  }
}

export async function openLocal(): Promise<Transport> {
  const { LocalTransport } = await import('../transport/local.js');
  return new LocalTransport();
}
