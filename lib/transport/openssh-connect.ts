/** Opens (or finds warm) the OpenSSH master of one endpoint and returns its Transport. */
import { HostKeyError } from '../errors.js';
import { controlDirPath, ensureControlDir, socketPath } from './control-dir.js';
import type { SshEndpoint } from './endpoint.js';
import { endpointIdentity, type OpenSshSetup } from './openssh-args.js';
import { ensureMaster } from './openssh-master.js';
import { OpenSshTransport } from './openssh.js';

export interface OpenSshOptions {
  /** --persist: masters stay this long after their last use and serve later runs; absent: this run only. */
  persistMs?: number;
  acceptNew: boolean;
  sshConfigPath?: string;
  /** Default: controlDirPath() ($XDG_RUNTIME_DIR/fabts or ~/.cache/fabts/ssh). */
  controlDir?: string;
}

/** A run's own master (no --persist) is closed at the end of the run; this only bounds a crashed run's leftovers. */
const RUN_MASTER_SECONDS = 600;

export async function openOpenSsh(
  ep: SshEndpoint,
  o: OpenSshOptions,
  via?: OpenSshTransport,
): Promise<{ transport: OpenSshTransport; reused: boolean }> {
  const persistent = o.persistMs !== undefined && o.persistMs > 0;
  const dir = ensureControlDir(o.controlDir ?? controlDirPath());
  const identity = endpointIdentity(ep, {
    acceptNew: o.acceptNew,
    ...(o.sshConfigPath ? { sshConfigPath: o.sshConfigPath } : {}),
    ...(via ? { via: via.controlPath } : {}),
  });
  const setup: OpenSshSetup = {
    controlPath: socketPath(dir, identity, persistent),
    persistSeconds: persistent ? Math.max(1, Math.ceil(o.persistMs! / 1000)) : RUN_MASTER_SECONDS,
    acceptNew: o.acceptNew,
    ...(o.sshConfigPath ? { sshConfigPath: o.sshConfigPath } : {}),
    ...(via ? { viaControlPath: via.controlPath, viaHost: via.hostArg } : {}),
  };
  let reused: boolean;
  try {
    reused = await ensureMaster(ep, setup, persistent);
  } catch (err) {
    throw err instanceof HostKeyError && !via ? await hostKeyDetails(ep, err) : err;
  }
  return { transport: new OpenSshTransport(ep, setup, persistent), reused };
}

/**
 * OpenSSH says only that the key is unknown or changed; the embedded client's check of the same
 * known_hosts names the offered and the expected fingerprints, so the error reads the same on both
 * transports. It never records anything (no accept-new here) and only runs after a refusal.
 */
async function hostKeyDetails(ep: SshEndpoint, refused: HostKeyError): Promise<HostKeyError> {
  const { openSsh } = await import('./ssh-connect.js');
  try {
    (await openSsh(ep, false)).dispose();
  } catch (err) {
    if (err instanceof HostKeyError) return err;
  }
  return refused;
}

/** `fab --persist-stop`: every persistent master of this user exits; returns how many answered. */
export async function stopPersistent(controlDir = controlDirPath()): Promise<number> {
  const { persistentSockets } = await import('./control-dir.js');
  const { stopMaster } = await import('./openssh-master.js');
  const dir = ensureControlDir(controlDir);
  const stopped = await Promise.all(persistentSockets(dir).map((p) => stopMaster(p)));
  return stopped.filter(Boolean).length;
}
