/**
 * What every peer of `npm run bench:peers` runs: the jobs, the hosts as each peer connects to them, and the
 * shape of one timed command (argv + env + a check of its output, so a failing peer never looks fast).
 */

/** One lab host as the peers reach it: its lab name and the address/port they connect to. */
export interface PeerHost {
  name: string;
  address: string;
  port: number;
}

/** The lab as the peers see it; `knownHosts` lists every host under the address/port it is reached at. */
export interface PeerLab {
  hosts: PeerHost[];
  /** login user with passwordless sudo */
  user: string;
  /** login user whose sudo asks for the password in the SUDO_PASSWORD_ENV variable */
  sudoUser: string;
  key: string;
  knownHosts: string;
}

/**
 * - true: one command (`true`) on every host;
 * - sudo: `id -u` through sudo as the password user (the password only ever in SUDO_PASSWORD_ENV);
 * - edit: change the `port = ` line of EDIT_FILE to EDIT_LINE with root rights;
 * - steps: STEPS commands (`echo 0` .. `echo 4`) one after the other on each host.
 */
export type JobKind = 'true' | 'sudo' | 'edit' | 'steps';

/** One timed command: argv + extra environment; `verify` reads its stdout and says what is wrong, if anything. */
export interface Job {
  argv: string[];
  env: Record<string, string>;
  verify?: (stdout: string) => string | undefined;
  /** untimed, before each run (a warm case's first, untimed run) */
  before?: () => Promise<void>;
  /** untimed, after each run: close what the run left open (Ansible's ControlPersist masters) */
  after?: () => Promise<void>;
}

/** The variable holding the lab's sudo password: never an argument, so `ps` never shows it. */
export const SUDO_PASSWORD_ENV = 'PEERS_SUDO_PASSWORD';
export const STEPS = 5;
/** Root-owned file each `edit` run changes; the bench writes it fresh (EDIT_BEFORE) before every run. */
export const EDIT_FILE = '/srv/peers-edit.conf';
export const EDIT_BEFORE = 'name = app\nport = 8080\nworkers = 4\n';
export const EDIT_LINE = 'port = 9090';
/** The line-change as `sed -i` (Fabric 2 and raw OpenSSH have nothing closer; Ansible has lineinfile). */
export const EDIT_SED = `sed -i 's/^port = .*/${EDIT_LINE}/' ${EDIT_FILE}`;
export const stepCommand = (i: number): string => `echo ${i}`;

/** Which names of `expected` are missing from `seen`: a check's message, or undefined when all answered. */
export function missingHosts(expected: string[], seen: Iterable<string>, what: string): string | undefined {
  const got = new Set(seen);
  const missing = expected.filter((n) => !got.has(n));
  return missing.length ? `${what} missing for ${missing.join(', ')}` : undefined;
}
