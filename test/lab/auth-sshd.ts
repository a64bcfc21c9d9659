// A second sshd inside a running lab host, with the login methods a test needs (password,
// keyboard-interactive through PAM) and its own authorized_keys, on its own port: the lab's own sshd
// (keys only) stays as it is for every other test.
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Lab } from './lab.js';
import { SSHD } from './host.js';
import { sleep } from './proc.js';
import { tcpProbe } from './test-helpers.js';
import type { LabState } from './types.js';

export interface AuthSshdOptions {
  port: number;
  password?: boolean;
  kbdInteractive?: boolean;
  /** public key lines allowed to log in (any lab user) */
  authorizedKeys?: string[];
}

export interface AuthSshd {
  address: string;
  port: number;
  /** sshd's log: "Accepted password for ...", "Accepted keyboard-interactive/pam for ..." */
  log: string;
  /** a known_hosts with this sshd's key at [address]:port */
  knownHosts: string;
  dir: string;
  stop(): Promise<void>;
}

export async function startAuthSshd(state: LabState, host: string, o: AuthSshdOptions): Promise<AuthSshd> {
  const h = state.hosts[host];
  if (!h) throw new Error(`lab: no host ${host}`);
  // sshd reads authorized_keys as the login user: the folder must be enterable by everyone.
  const dir = mkdtempSync(join(tmpdir(), `fabts-authsshd-${host}-`));
  chmodSync(dir, 0o755);
  const hostKey = join(dir, 'host_key');
  copyFileSync(join(state.dir, 'hosts', host, 'ssh_host_ed25519_key'), hostKey);
  chmodSync(hostKey, 0o600);
  writeFileSync(join(dir, 'authorized_keys'), `${(o.authorizedKeys ?? []).join('\n')}\n`, { mode: 0o644 });
  const pub = readFileSync(join(state.dir, 'hosts', host, 'ssh_host_ed25519_key.pub'), 'utf8')
    .trim()
    .split(/\s+/)
    .slice(0, 2)
    .join(' ');
  const knownHosts = join(dir, 'known_hosts');
  writeFileSync(knownHosts, `[${h.address}]:${o.port} ${pub}\n`);
  const log = join(dir, 'sshd.log');
  const config = join(dir, 'sshd_config');
  writeFileSync(
    config,
    [
      `ListenAddress ${h.address}:${o.port}`,
      `HostKey ${hostKey}`,
      'PidFile none',
      `AuthorizedKeysFile ${dir}/authorized_keys`,
      `PasswordAuthentication ${o.password ? 'yes' : 'no'}`,
      `KbdInteractiveAuthentication ${o.kbdInteractive ? 'yes' : 'no'}`,
      // keyboard-interactive needs PAM on Linux; plain password logins check /etc/shadow without it.
      `UsePAM ${o.kbdInteractive ? 'yes' : 'no'}`,
      'StrictModes no',
      'Subsystem sftp internal-sftp',
      'LogLevel VERBOSE',
      '',
    ].join('\n'),
  );
  const lab = new Lab(state);
  const svc = await lab.spawnInHost(host, [SSHD, '-D', '-f', config, '-E', log], {
    name: `${host}-authsshd-${o.port}`,
  });
  for (let i = 0; ; i++) {
    if ((await tcpProbe(h.address, o.port)).startsWith('banner:SSH-2.0')) break;
    if (i > 100) throw new Error(`lab: auth sshd on ${host}:${o.port} did not start:\n${readFileSync(log, 'utf8')}`);
    await sleep(50);
  }
  return {
    address: h.address,
    port: o.port,
    log,
    knownHosts,
    dir,
    stop: async () => {
      await new Lab(state).stopService(svc.name);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
