import { readFile } from 'node:fs/promises';
import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import { NodeSSH } from 'node-ssh';
import type { AnyAuthMethod, ConnectConfig } from 'ssh2';
import { ConnectError, HostKeyError, type ConnectFailure } from '../errors.js';
import { describeEndpoint, type SshEndpoint } from './endpoint.js';
import { appendKnownHost, checkHostKey, describeKey, entryMatches, hostToken, loadKnownHosts, preferredHostKeyAlgorithms, type HostKeyVerdict } from './knownhosts.js';

/**
 * Opens one SSH connection (node-ssh over ssh2): strict host key checking against known_hosts,
 * agent then key files, connect timeout and keepalive, optionally through a jump host's channel.
 */
export async function openSsh(ep: SshEndpoint, acceptNew: boolean, sock?: Duplex): Promise<NodeSSH> {
  const known = await loadKnownHosts(ep.knownHosts);
  const mine = known.filter((e) => !e.marker && entryMatches(e, ep.host, ep.port));
  let verdict: HostKeyVerdict | undefined;
  let offered: Buffer | undefined;

  const auth: AnyAuthMethod[] = [];
  if (process.env.SSH_AUTH_SOCK) auth.push({ type: 'agent' as const, username: ep.user, agent: process.env.SSH_AUTH_SOCK });
  for (const file of ep.keys) {
    try {
      auth.push({ type: 'publickey' as const, username: ep.user, key: await readFile(file) });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw new ConnectError(ep.name, describeEndpoint(ep), `cannot read key ${file}: ${(err as Error).message}`, 'config');
    }
  }

  const config: ConnectConfig = {
    host: ep.host,
    port: ep.port,
    username: ep.user,
    readyTimeout: ep.connectTimeoutMs,
    keepaliveInterval: ep.keepaliveMs,
    keepaliveCountMax: ep.keepaliveCountMax,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(mine) as never },
    authHandler: auth.length ? (auth as never) : (['none'] as never),
    hostVerifier: ((key: Buffer, verify: (ok: boolean) => void) => {
      offered = key;
      verdict = checkHostKey(known, ep.host, ep.port, key);
      if (verdict.kind === 'match') return verify(true);
      if (verdict.kind === 'unknown' && acceptNew) {
        appendKnownHost(ep.knownHosts[0]!, ep.host, ep.port, key).then(
          () => verify(true),
          () => verify(false),
        );
        return;
      }
      verify(false);
    }) as never,
  };
  // Our own TCP socket, so TCP_NODELAY holds from the first handshake packet: with Nagle and the
  // server's delayed ACK, every small write after a reply (a sudo EOF, a key exchange step) waits ~40 ms.
  config.sock = (sock ?? createConnection({ host: ep.host, port: ep.port }).setNoDelay(true)) as never;

  const ssh = new NodeSSH();
  try {
    await ssh.connect(config as never);
    return ssh;
  } catch (err) {
    ssh.dispose();
    if (verdict && offered && verdict.kind !== 'match' && !(verdict.kind === 'unknown' && acceptNew)) {
      const knownKeys = verdict.kind === 'changed' ? verdict.known.map((e) => `${describeKey(e.key)} (${e.file}:${e.line})`) : [];
      throw new HostKeyError(ep.name, hostToken(ep.host, ep.port), verdict.kind, describeKey(offered), knownKeys, ep.knownHosts);
    }
    const [kind, why] = reason(err, ep);
    throw new ConnectError(ep.name, describeEndpoint(ep), why, kind);
  }
}

function reason(err: unknown, ep: SshEndpoint): [ConnectFailure, string] {
  const e = err as NodeJS.ErrnoException & { level?: string };
  if (e.code === 'ECONNREFUSED') return ['refused', 'connection refused'];
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return ['unreachable', 'no route to host'];
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return ['dns', `cannot resolve ${ep.host}`];
  if (e.code === 'ETIMEDOUT' || /timed out/i.test(e.message)) return ['timeout', `timed out after ${ep.connectTimeoutMs / 1000}s`];
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(e.message)) {
    const tried = [process.env.SSH_AUTH_SOCK ? 'agent' : '', ...ep.keys].filter(Boolean).join(', ') || 'no keys';
    return ['auth', `authentication failed for user ${ep.user} (tried ${tried})`];
  }
  return ['other', e.message];
}
