/**
 * Fabric's rsync_project as an argv: rsync run here, with an ssh that goes exactly where fab's own
 * connection goes (address, port, user, keys, known_hosts) and checks the host key strictly.
 */

/** The parts of a resolved SSH endpoint rsync's ssh needs. */
export interface RsyncEndpoint {
  host: string;
  port: number;
  user: string;
  keys: readonly string[];
  knownHosts: readonly string[];
}

export interface RsyncOptions {
  /** Delete remote files that are not here (rsync --delete). */
  delete?: boolean;
  /** Patterns left out (rsync --exclude), e.g. ['*.log', '.git']. */
  exclude?: string | readonly string[];
  /** More rsync options, each one argument, e.g. ['--checksum']. */
  extraOpts?: readonly string[];
  /** Fabric's default_opts. */
  defaultOpts?: string;
  /** false: download remote -> local instead. */
  upload?: boolean;
}

/**
 * rsync splits -e on spaces and honours single and double quotes, where a quote is doubled to stand
 * for itself (no backslashes): not the POSIX shell's rules.
 */
export function rsyncQuote(arg: string): string {
  return /^[\w@%+=:,./-]+$/.test(arg) ? arg : `'${arg.replace(/'/g, "''")}'`;
}

/** The -e command: fab's endpoint, strict host key checking, no password prompts. */
export function rsyncSsh(ep: RsyncEndpoint): string {
  const args = ['ssh', '-p', String(ep.port), '-l', ep.user, '-o', 'BatchMode=yes', '-o', 'StrictHostKeyChecking=yes'];
  if (ep.knownHosts.length) args.push('-o', `UserKnownHostsFile=${ep.knownHosts.join(' ')}`);
  if (ep.keys.length) args.push('-o', 'IdentitiesOnly=yes', ...ep.keys.flatMap((k) => ['-i', k]));
  return args.map(rsyncQuote).join(' ');
}

/** `user@host:path`, with an IPv6 address in brackets. */
const remoteSpec = (ep: RsyncEndpoint, path: string): string =>
  `${ep.user}@${ep.host.includes(':') ? `[${ep.host}]` : ep.host}:${path}`;

export function rsyncArgs(local: string, remote: string, ep: RsyncEndpoint, opts: RsyncOptions = {}): string[] {
  const exclude = typeof opts.exclude === 'string' ? [opts.exclude] : (opts.exclude ?? []);
  return [
    opts.defaultOpts ?? '-pthrvz',
    ...(opts.delete ? ['--delete'] : []),
    ...exclude.map((e) => `--exclude=${e}`),
    ...(opts.extraOpts ?? []),
    '-e',
    rsyncSsh(ep),
    ...(opts.upload === false ? [remoteSpec(ep, remote), local] : [local, remoteSpec(ep, remote)]),
  ];
}
