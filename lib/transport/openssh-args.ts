/**
 * Command lines for the OpenSSH transport (pure: no I/O). One master per endpoint identity; every
 * command is a mux client of it, carrying the same options so that a vanished master falls back to
 * a direct, equally strict connection instead of failing.
 */
import { createHash } from 'node:crypto';
import { quote } from '../commands/quote.js';
import type { ConnectFailure } from '../errors.js';
import type { SshEndpoint } from './endpoint.js';

export interface OpenSshSetup {
  /** The control socket of this endpoint's master. */
  controlPath: string;
  /** How long the master stays after its last use (OpenSSH ControlPersist, seconds). */
  persistSeconds: number;
  acceptNew: boolean;
  /** --ssh-config; otherwise ssh reads ~/.ssh/config as usual. */
  sshConfigPath?: string;
  /** Control socket of the previous hop's master, for a jump chain. */
  viaControlPath?: string;
  /** The previous hop's host argument (what `ssh -S VIA HOST` names). */
  viaHost?: string;
}

/**
 * What decides whether a master may be reused: everything that changes the connection (who, where,
 * which keys, which host keys are trusted, through which hops, which config). The connect timeout
 * only matters while connecting, so it is left out.
 */
export interface IdentityExtra {
  sshConfigPath?: string;
  via?: string;
  acceptNew: boolean;
}

export function endpointIdentity(ep: SshEndpoint, extra: IdentityExtra): string {
  const id = {
    name: ep.name,
    host: ep.host,
    port: ep.port,
    user: ep.user,
    keys: ep.keys,
    knownHosts: ep.knownHosts,
    jump: ep.jump ?? null,
    via: extra.via ?? null,
    keepalive: [ep.keepaliveMs, ep.keepaliveCountMax],
    proxy: ep.proxyCommand ?? null,
    agent: ep.agent ?? null,
    identitiesOnly: ep.identitiesOnly,
    forwardAgent: ep.forwardAgent,
    certificates: ep.certificateFiles,
    config: extra.sshConfigPath ?? null,
    acceptNew: extra.acceptNew,
  };
  return createHash('sha256').update(JSON.stringify(id)).digest('hex').slice(0, 32);
}

/** The host argument: the host's own name when it is a plain one, so ssh_config `Host` blocks still apply. */
export function hostArgument(ep: SshEndpoint): string {
  return /^[A-Za-z0-9][A-Za-z0-9._-]*$/.test(ep.name) ? ep.name : ep.host;
}

/** ssh_config values with spaces are written in double quotes; `%` is a token there and is doubled. */
function cfgValue(v: string): string {
  const s = v.replace(/%/g, '%%');
  return /[\s"]/.test(s) ? `"${s.replace(/"/g, '\\"')}"` : s;
}

/** Options shared by the master and every client: the whole endpoint, strict host keys, no prompts. */
export function commonArgs(ep: SshEndpoint, s: OpenSshSetup): string[] {
  const o = (k: string, v: string | number): string[] => ['-o', `${k}=${v}`];
  const args = [
    ...(s.sshConfigPath ? ['-F', s.sshConfigPath] : []),
    ...o('BatchMode', 'yes'),
    ...o('LogLevel', 'ERROR'),
    ...o('ControlPath', cfgValue(s.controlPath)),
    ...o('HostName', cfgValue(ep.host)),
    ...o('Port', ep.port),
    ...o('User', cfgValue(ep.user)),
    ...o('StrictHostKeyChecking', s.acceptNew ? 'accept-new' : 'yes'),
    ...o('UserKnownHostsFile', ep.knownHosts.map(cfgValue).join(' ') || 'none'),
    // The embedded client reads only the user's files: the same host-key policy on both transports.
    ...o('GlobalKnownHostsFile', 'none'),
    // --accept-new records plain `[host]:port` lines, as the embedded client does (Debian's default hashes them).
    ...o('HashKnownHosts', 'no'),
    ...o('ConnectTimeout', Math.max(1, Math.ceil(ep.connectTimeoutMs / 1000))),
    ...o('ServerAliveInterval', Math.max(1, Math.round(ep.keepaliveMs / 1000))),
    ...o('ServerAliveCountMax', ep.keepaliveCountMax),
    ...o('IdentitiesOnly', ep.identitiesOnly ? 'yes' : 'no'),
    // The agent fab resolved (IdentityAgent, else SSH_AUTH_SOCK), or none, as the embedded client uses it.
    ...o('IdentityAgent', ep.agent ? cfgValue(ep.agent) : 'none'),
    ...o('ForwardAgent', ep.forwardAgent ? 'yes' : 'no'),
    ...ep.keys.flatMap((k) => ['-i', k]),
    ...ep.certificateFiles.flatMap((c) => ['-o', `CertificateFile=${cfgValue(c)}`]),
  ];
  // Its tokens are already expanded: a literal % must not be read as one again.
  if (ep.proxyCommand && !s.viaControlPath) args.push(...o('ProxyCommand', ep.proxyCommand.replace(/%/g, '%%')));
  if (s.viaControlPath && s.viaHost) args.push(...o('ProxyCommand', proxyCommand(s.viaControlPath, s.viaHost, ep)));
  return args;
}

/** The next hop is reached through the previous hop's own master (`-W`), so the chain is warm too. */
export function proxyCommand(viaControlPath: string, viaHost: string, ep: SshEndpoint): string {
  const hop = ['-S', viaControlPath, '-W', `${ep.host}:${ep.port}`, viaHost];
  const cmd = ['ssh', '-o', 'BatchMode=yes', '-o', 'ControlMaster=no', ...hop];
  return cmd.map(quote).join(' ').replace(/%/g, '%%');
}

/** Starts the master: it authenticates, then goes to the background and stays for persistSeconds after its last client. */
export function masterArgs(ep: SshEndpoint, s: OpenSshSetup): string[] {
  const persist = ['-o', 'ControlMaster=yes', '-o', `ControlPersist=${s.persistSeconds}`];
  return [...commonArgs(ep, s), ...persist, '-N', '-f', hostArgument(ep)];
}

/** `ssh -O check|exit` on a control socket (only the socket matters; the host argument is required by ssh). */
export function controlArgs(controlPath: string, op: 'check' | 'exit'): string[] {
  return ['-o', 'BatchMode=yes', '-o', `ControlPath=${cfgValue(controlPath)}`, '-O', op, 'fabts-control'];
}

/**
 * One command as a client of the master: no terminal, or with `pty` a forced one (our stdin is a pipe) with no
 * escape character, so a `~.` at the start of an input line is data, not a disconnect.
 */
export function execArgs(ep: SshEndpoint, s: OpenSshSetup, remote: string, pty = false): string[] {
  const tty = pty ? ['-o', 'EscapeChar=none', '-tt'] : ['-T'];
  return [...commonArgs(ep, s), '-o', 'ControlMaster=no', ...tty, hostArgument(ep), '--', remote];
}

export const PID_MARK = 'fab-pid:';
/** Under a pty: the terminal is set up for the command, input may follow. */
export const GO_MARK = 'fab-go';
/** The pty fab's commands get on both transports (ssh.ts: 24x200, no echo, no \n -> \r\n). */
const PTY_MODES = 'sane -echo -onlcr rows 24 cols 200';

/**
 * What the client's command line carries instead of the command: the command itself (which may hold
 * secrets) goes as the first `length` bytes of stdin, so `ps` on this machine never shows it. The
 * shell prints its pid first (sshd made it a process group leader) so a kill can signal the group,
 * as ssh2's signal request does; then it becomes the login shell running the command, as sshd would.
 */
export function bootstrapCommand(length: number, pty = false): string {
  const shell = '"${SHELL:-/bin/sh}"';
  const read = `dd bs=1 count=${length} 2>/dev/null`;
  if (!pty) return `echo ${PID_MARK}$$ >&2; exec ${shell} -c "$(${read})"`;
  // Under a pty: nothing may come before `stty -echo` (the terminal would echo it back), so the pid line also
  // says "send the command", read raw (no line editing, no Ctrl-C, no CR -> NL); then the terminal gets the
  // modes of ssh2's pty, and `fab-go` says "send the input". stderr is the terminal too: both lines on stdout.
  return (
    `stty raw -echo && echo ${PID_MARK}$$ && c="$(${read})" && ` +
    `stty ${PTY_MODES} && echo ${GO_MARK} && exec ${shell} -c "$c"`
  );
}

/** Signals a command's process group (the pid its bootstrap printed). */
export function killCommand(pid: number, signal = 'TERM'): string {
  return `kill -${signal} -- -${pid} 2>/dev/null || kill -${signal} ${pid}`;
}

/** Errors of the ssh client, in the words the embedded transport uses (and whether it is about host keys). */
export interface SshFailure {
  reason: string;
  kind: ConnectFailure;
  hostKey?: 'unknown' | 'changed' | 'revoked';
}

export function sshFailure(stderr: string, ep: SshEndpoint): SshFailure {
  const s = stderr.trim();
  if (/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key for .* has changed/i.test(s))
    return { reason: s, kind: 'host-key', hostKey: 'changed' };
  if (/revoked/i.test(s) && /host key/i.test(s)) return { reason: s, kind: 'host-key', hostKey: 'revoked' };
  if (/No \S+ host key is known|Host key verification failed/i.test(s))
    return { reason: s, kind: 'host-key', hostKey: 'unknown' };
  if (/Connection refused/i.test(s)) return { reason: 'connection refused', kind: 'refused' };
  if (/No route to host|Network is unreachable/i.test(s)) return { reason: 'no route to host', kind: 'unreachable' };
  if (/Could not resolve hostname/i.test(s)) return { reason: `cannot resolve ${ep.host}`, kind: 'dns' };
  if (/timed out/i.test(s)) return { reason: `timed out after ${ep.connectTimeoutMs / 1000}s`, kind: 'timeout' };
  if (/Permission denied/i.test(s)) {
    const tried = [process.env.SSH_AUTH_SOCK ? 'agent' : '', ...ep.keys].filter(Boolean).join(', ') || 'no keys';
    return { reason: `authentication failed for user ${ep.user} (tried ${tried})`, kind: 'auth' };
  }
  return { reason: s.split('\n').filter(Boolean).pop() ?? 'ssh failed', kind: 'other' };
}

/** `SHA256:...` of the offered key, when OpenSSH printed it (a changed key). */
export function offeredKey(stderr: string): string {
  const m = /The fingerprint for the (\S+) key sent by the remote host is\s+(SHA256:\S+)/.exec(stderr);
  return m ? `${m[1]} ${m[2]}` : '(see ssh -v)';
}
