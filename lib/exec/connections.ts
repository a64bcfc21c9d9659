import { InterruptedError } from '../errors.js';
import type { HostTarget } from '../model/hostset.js';
import type { Transport } from '../transport/types.js';
import { HostOpener, openLocal, type ConnectionOptions } from './host-opener.js';

export { rawTarget, type ConnectionOptions, type TransportFactory } from './host-opener.js';

/**
 * One connection per host per run, opened on first use and shared by every command and transfer
 * (and by every host that jumps through it); all closed at the end. ssh modules load only when a host
 * is opened (host-opener.ts), so `fab --list` never pays for them.
 */
export class Connections {
  private readonly open = new Map<string, Promise<Transport>>();
  private localTransport?: Promise<Transport>;
  private readonly opener: HostOpener;

  constructor(private readonly opts: ConnectionOptions) {
    this.opener = new HostOpener(opts, (target, key, hop) => this.get(target, key, hop));
  }

  /** `hop`: a jump host on the way to another host; -g (gateway) is for the targets, not for their hops. */
  get(target: HostTarget, key = target.name, hop = false): Promise<Transport> {
    let p = this.open.get(key);
    if (!p) {
      p = this.abortable(this.opener.open(target, hop));
      this.open.set(key, p);
    }
    return p;
  }

  /** Close a host's pooled connection and open a new one (same endpoint, same host-key checks): after a reboot. */
  async reopen(target: HostTarget): Promise<Transport> {
    const old = this.open.get(target.name);
    this.open.delete(target.name);
    await old?.then(
      (t) => t.close(),
      () => undefined,
    );
    return this.get(target);
  }

  /** The operator's own machine, for `local()`: its own slot, so a host named "local" is just a host. */
  local(): Promise<Transport> {
    return (this.localTransport ??= this.opts.localFactory ? this.opts.localFactory() : openLocal());
  }

  /** Rejects with InterruptedError as soon as the run is aborted, instead of waiting out the connect timeout. */
  private abortable(connecting: Promise<Transport>): Promise<Transport> {
    const signal = this.opts.signal;
    if (!signal) return connecting;
    return new Promise<Transport>((resolve, reject) => {
      const onAbort = (): void => {
        reject(new InterruptedError());
        connecting.then(
          (t) => t.close(),
          () => undefined,
        );
      };
      if (signal.aborted) return onAbort();
      signal.addEventListener('abort', onAbort, { once: true });
      connecting.then(
        (t) => (signal.removeEventListener('abort', onAbort), resolve(t)),
        (err: unknown) => (signal.removeEventListener('abort', onAbort), reject(err)),
      );
    });
  }

  async closeAll(): Promise<void> {
    const all = [...this.open.values(), ...(this.localTransport ? [this.localTransport] : [])];
    this.open.clear();
    this.localTransport = undefined;
    await Promise.all(
      all.map((p) =>
        p.then(
          (t) => t.close(),
          () => undefined,
        ),
      ),
    );
  }
}
