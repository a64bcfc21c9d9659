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
  /** load balancer hosts of an `lb: true` lab: what runs there (lb1: 'nginx', lb2: 'haproxy') */
  lbKind?: LbKind;
  /** web hosts of an `lb: true` lab: the app's URL, http://<address>:8080/ */
  appUrl?: string;
  /** services running on this host: name -> pid (details in LabState.services) */
  services?: Record<string, number>;
}

export type LbKind = 'nginx' | 'haproxy';

/** What a fabfile/test needs to drive one load balancer host (paths are inside that host). */
export interface LabLbBase {
  kind: LbKind;
  /** 'lb1' / 'lb2' */
  host: string;
  /** lab service name of the LB's master process ('lb1-nginx', 'lb2-haproxy') */
  service: string;
  /** 'http://<address>/' */
  url: string;
  address: string;
  port: number;
  /** web hosts listed in the upstream/backend (webN:8080 each) */
  backends: string[];
  /** config file, root:root 0644: readable by the login user, changed with sudo */
  conf: string;
  /** pid file of the master process */
  pidFile: string;
  /** shell command, run as the login user on the LB host: validate the config */
  check: string;
  /** shell command, run as the login user on the LB host: graceful reload */
  reload: string;
}

export interface LabNginx extends LabLbBase {
  kind: 'nginx';
  /** name of the upstream block ('app'); its lines are `    server webN:8080;` */
  upstream: string;
  accessLog: string;
  errorLog: string;
}

export interface LabHaproxy extends LabLbBase {
  kind: 'haproxy';
  /** the `listen` section = backend name for `set server <backend>/<server> state ...` ('app') */
  backend: string;
  /** admin socket (level admin, mode 0600 root) */
  socket: string;
  /** shell command reading admin commands on stdin: `echo 'show stat' | <socketCommand>` */
  socketCommand: string;
}

export interface LabApp {
  port: number;
  /** '/srv/app': releases/<version>/, current -> releases/<version>, shared/ */
  root: string;
  /** owner of root, the user the app runs as */
  user: string;
  /** web hosts running the app (all web hosts) */
  hosts: string[];
  /** release installed at `up` ('v1') */
  initialVersion: string;
  /** supervisor pid file inside each web host */
  pidFile: string;
  /** shell command, run as the login user on a web host: restart the app from `current` (then poll health) */
  restart: string;
  /** health path ('/health'): 200 when the release is healthy on that host */
  health: string;
}

/** The web tier of an `lb: true` lab. */
export interface LabLb {
  nginx: LabNginx;
  haproxy: LabHaproxy;
  app: LabApp;
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
  /** the web tier (lab started with lb: true) */
  lb?: LabLb;
  /** the db tier (lab started with db: true) */
  db?: LabDb;
  /** the storage guest (lab started with guest: true): a qemu VM that is one of `hosts` */
  guest?: LabGuest;
}

/** A qemu guest in the lab (test/lab/guest.ts): stopped by pid (checked with its start time), disks in dir/disks. */
export interface LabGuest {
  name: string;
  /** its files: disks/, initrd.cpio, console.log, qemu.log, ssh_host_ed25519_key */
  dir: string;
  pid: number;
  startTime?: number;
  accel: 'kvm' | 'tcg';
}

/** The db tier of a `db: true` lab (paths are inside each db host). */
export interface LabDb {
  /** 'db1', 'db2': mariadbd on <address>:port, server ids 1, 2 */
  hosts: string[];
  port: number;
  /** the server's option file (root:root 0644) */
  conf: string;
  datadir: string;
  /** where backups go (root-only) */
  backupRoot: string;
  socket: string;
  pidFile: string;
  /** the user mariadbd runs as, owner of datadir */
  serverUser: string;
  /** login with all privileges, on localhost and % (password in lab.json only) */
  user: string;
  password: string;
  /** login with REPLICATION SLAVE */
  replUser: string;
  replPassword: string;
  /** an empty database made at start */
  database: string;
  /** the HAProxy host for MySQL (role lb), its config, pid file and reload command (as root) */
  lb: string;
  lbConf: string;
  lbPidFile: string;
  lbReload: string;
  /** shell command, as root inside the host: start mariadbd detached (stop: TERM to the pid in pidFile) */
  start: string;
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
  /** jump, plus 'private2' (10.<net>.3.2) reachable only through private1: ProxyJump bastion,private1 */
  jump2?: boolean;
  /** per-host readiness timeout, default 15000 ms */
  readyTimeoutMs?: number;
  /**
   * the web tier: the app (release v1 under a supervisor) on every web host, plus lb1 (nginx) and lb2
   * (HAProxy) in front of them. Needs web >= 1.
   */
  lb?: boolean;
  /** with lb: how many web hosts (web1..webN) the LBs list; default all of them */
  lbBackends?: number;
  /** the db tier: db1 and db2 with role 'db', each running mariadbd (see test/lab/db.ts) */
  db?: boolean;
  /** the storage guest store1: a qemu VM with Debian's kernel and disks vdb..vdd (see test/lab/guest.ts) */
  guest?: boolean;
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
