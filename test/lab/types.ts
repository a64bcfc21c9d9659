// Shapes of the test lab's state file ($LAB/lab.json, mode 0600) and of the options to start a lab.

export interface LabHost {
  name: string;
  address: string;
  port: number;
  roles: string[];
  /** pid of the host's sshd (0 while the host is stopped with Lab.stopHost) */
  pid: number;
  /** "SHA256:..." as `ssh-keygen -lf` prints it */
  hostKeyFingerprint: string;
  /** $LAB/hosts/<name>/root: where this host's bind-mounted paths live, e.g. root + '/srv' */
  root: string;
  /** name of the jump host (private1 -> 'bastion') */
  jump?: string;
}

/** A long-lived process started inside a host's namespaces with Lab.spawnInHost. */
export interface LabService {
  name: string;
  host: string;
  pid: number;
  /** /proc/<pid>/stat starttime (clock ticks since boot), so a reused pid is never mistaken for ours */
  startTime: number;
  argv: string[];
  /** file receiving the process's stdout and stderr */
  log: string;
}

export interface LabState {
  dir: string;
  net: number;
  createdAt: string;
  hosts: Record<string, LabHost>;
  /** 'fabts': passwordless sudo */
  user: string;
  /** 'fabtspw': sudo needs sudoPassword */
  sudoUser: string;
  sudoPassword: string;
  /** path of the client private key (the public key is clientKey + '.pub') */
  clientKey: string;
  /** path of the generated known_hosts */
  knownHosts: string;
  /** path of the generated ssh_config (use: ssh -F <sshConfig> web1) */
  sshConfig: string;
  /** network namespaces created by this lab */
  netns: string[];
  /** processes started with Lab.spawnInHost, by service name */
  services?: Record<string, LabService>;
}

export interface ExtraHostOptions {
  name: string;
  roles?: string[];
  /** absolute paths that get a per-host copy, bind-mounted from <root>/<path> (e.g. '/etc/nginx') */
  binds?: string[];
  /** default: the next free 127.<net>.0.<n> */
  address?: string;
}

export interface StartLabOptions {
  /** lab directory (made absolute); every ancestor must be world-searchable (sshd reads keys as the user) */
  dir: string;
  /** 1..254; addresses 127.<net>.0.<n>, jump links 10.<net>.1.0/24 and 10.<net>.2.0/24. Default 11 */
  net?: number;
  /** number of hosts web1..webN with role 'web'. Default 3 */
  web?: number;
  extraHosts?: ExtraHostOptions[];
  /** add 'bastion' and 'private1' (reachable only through bastion), each in its own network namespace */
  jump?: boolean;
  /** per-host readiness timeout, default 15000 ms */
  readyTimeoutMs?: number;
}

export interface SpawnInHostOptions {
  /** key in LabState.services; default `<argv0 basename>-<pid>` */
  name?: string;
  /** enter the host's network namespace too (default: true for hosts that have their own netns) */
  net?: boolean;
  /** working directory inside the host (default '/') */
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** stdout+stderr file, default $LAB/hosts/<host>/services/<name>.log */
  log?: string;
}
