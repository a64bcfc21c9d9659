import { createConnection } from 'node:net';
import type { Duplex } from 'node:stream';
import type { ConnectConfig } from 'ssh2';
import { ConnectError, HostKeyError, type ConnectFailure } from '../errors.js';
import { describeEndpoint, type SshEndpoint } from './endpoint.js';
import { AuthPlan } from './ssh-auth.js';
import { SshConnection } from './ssh-client.js';
import type { Credentials } from './credentials.js';
import { attachProxy, startProxyCommand, type ProxySocket } from './proxy-command.js';
import {
  appendKnownHost,
  checkHostKey,
  describeKey,
  entryMatches,
  hostToken,
  loadKnownHosts,
  preferredHostKeyAlgorithms,
  type HostKeyVerdict,
} from './knownhosts.js';

/**
 * Opens one SSH connection (ssh2): strict host key checking against known_hosts,
 * agent, key files, then password (ssh-auth.ts), connect timeout and keepalive, optionally through
 * a jump host's channel or a ProxyCommand.
 */
export async function openSsh(
  ep: SshEndpoint,
  acceptNew: boolean,
  sock?: Duplex,
  creds?: Credentials,
): Promise<SshConnection> {
  if (ep.certificateFiles.length) {
    const cert = ep.certificateFiles[0];
    const why =
      `CertificateFile ${cert} (ssh_config): ` +
      'the embedded ssh2 transport cannot log in with OpenSSH user certificates';
    const fix = 'use the openssh transport (the system ssh client), or remove CertificateFile for this host';
    throw new ConnectError(ep.name, describeEndpoint(ep), `${why} (fix: ${fix})`, 'config');
  }
  const known = await loadKnownHosts(ep.knownHosts);
  const mine = known.filter((e) => !e.marker && entryMatches(e, ep.host, ep.port));
  let verdict: HostKeyVerdict | undefined;
  let offered: Buffer | undefined;
  const auth = new AuthPlan(ep, creds);

  const config: ConnectConfig = {
    host: ep.host,
    port: ep.port,
    username: ep.user,
    readyTimeout: ep.connectTimeoutMs,
    keepaliveInterval: ep.keepaliveMs,
    keepaliveCountMax: ep.keepaliveCountMax,
    algorithms: { serverHostKey: preferredHostKeyAlgorithms(mine) as never },
    authHandler: auth.handler as never,
    // The agent socket is also what ssh2 forwards (auth-agent@openssh.com) on every session channel.
    ...(ep.agent ? { agent: ep.agent, agentForward: ep.forwardAgent } : {}),
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
  let proxy: ProxySocket | undefined;
  if (!sock && ep.proxyCommand) proxy = startProxyCommand(ep.proxyCommand);
  config.sock = (sock ?? proxy?.sock ?? createConnection({ host: ep.host, port: ep.port }).setNoDelay(true)) as never;

  const ssh = new SshConnection();
  try {
    await ssh.connect(config);
    if (proxy) attachProxy(ssh, proxy);
    return ssh;
  } catch (err) {
    ssh.dispose();
    proxy?.stop();
    if (auth.failure) throw auth.failure;
    if (verdict && offered && verdict.kind !== 'match' && !(verdict.kind === 'unknown' && acceptNew)) {
      const knownKeys =
        verdict.kind === 'changed' ? verdict.known.map((e) => `${describeKey(e.key)} (${e.file}:${e.line})`) : [];
      throw new HostKeyError(
        ep.name,
        hostToken(ep.host, ep.port),
        verdict.kind,
        describeKey(offered),
        knownKeys,
        ep.knownHosts,
      );
    }
    let [kind, why] = reason(err, ep, auth.tried);
    if (proxy) {
      await proxy.ended(1000);
      const status = proxy.exitStatus();
      // The proxy's exit is the real cause of a broken pipe or a lost handshake.
      if (status && kind === 'other') why = 'the ProxyCommand ended before the SSH handshake';
      const ending = [status ?? 'still running', proxy.stderrTail()].filter(Boolean).join(': ');
      why += `; ProxyCommand ${ep.proxyCommand} ${ending}`;
    }
    throw new ConnectError(ep.name, describeEndpoint(ep), why, kind);
  }
}

function reason(err: unknown, ep: SshEndpoint, tried: string[]): [ConnectFailure, string] {
  const e = err as NodeJS.ErrnoException & { level?: string };
  if (e.code === 'ECONNREFUSED') return ['refused', 'connection refused'];
  if (e.code === 'EHOSTUNREACH' || e.code === 'ENETUNREACH') return ['unreachable', 'no route to host'];
  if (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN') return ['dns', `cannot resolve ${ep.host}`];
  if (e.code === 'ETIMEDOUT' || /timed out/i.test(e.message))
    return ['timeout', `timed out after ${ep.connectTimeoutMs / 1000}s`];
  if (e.level === 'client-authentication' || /authentication methods failed/i.test(e.message)) {
    return ['auth', `authentication failed for user ${ep.user} (tried ${tried.join(', ') || 'no keys'})`];
  }
  return ['other', e.message];
}
