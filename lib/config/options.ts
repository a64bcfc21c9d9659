/** The `fab` options, as a table: the parser, `--help` and the docs read it. Names follow Fabric 1. */

export interface FabOptions {
  fabfile: string[];
  list: boolean;
  display?: string;
  hosts: string[];
  roles: string[];
  excludeHosts: string[];
  parallel: boolean;
  poolSize?: number;
  warnOnly: boolean;
  set: string[];
  user?: string;
  identity: string[];
  port?: number;
  gateway?: string;
  /** connect timeout in seconds; unset: ssh_config's ConnectTimeout, else 10 */
  timeout?: number;
  commandTimeout?: number;
  connectionAttempts: number;
  skipBadHosts: boolean;
  sshConfig?: string;
  knownHosts?: string;
  acceptNew: boolean;
  /** `ssh2` (embedded, default) or `openssh` (the system's ssh client, ControlMaster). */
  sshClient?: string;
  /** keep connections open this long after last use, for later runs (the fab agent; ControlPersist with openssh) */
  persist?: string;
  persistStop: boolean;
  /** K/N: this runner's slice of the hosts (CI matrix) */
  shard?: string;
  sudoPassword: boolean;
  password: boolean;
  initialPasswordPrompt: boolean;
  forwardAgent: boolean;
  pty: boolean;
  shell: boolean;
  abortOnPrompts: boolean;
  hide: string[];
  show: string[];
  json: boolean;
  rawOutput: boolean;
  dryRun: boolean;
  breakLock: boolean;
  color: boolean;
  version: boolean;
  help: boolean;
  yes: boolean;
  shortlist: boolean;
}

type Key = keyof FabOptions;

export interface OptionDef {
  key: Key;
  long: string;
  short?: string;
  /** flag: no value; list: comma-separated, repeatable; repeat: repeatable, kept whole. */
  type: 'flag' | 'string' | 'number' | 'list' | 'repeat';
  arg?: string;
  help: string;
}

export const OPTIONS: readonly OptionDef[] = [
  {
    key: 'fabfile',
    long: 'fabfile',
    short: 'f',
    type: 'repeat',
    arg: 'PATH',
    help: 'fabfile or folder of fabfiles (default: ./fabfiles or ./fabfile.ts, searched upwards)',
  },
  { key: 'list', long: 'list', short: 'l', type: 'flag', help: 'list tasks and host sets' },
  {
    key: 'display',
    long: 'display',
    short: 'd',
    type: 'string',
    arg: 'TASK',
    help: "show a task's description and typed arguments",
  },
  {
    key: 'hosts',
    long: 'hosts',
    short: 'H',
    type: 'list',
    arg: 'H1,H2',
    help: 'hosts (names, user@host:port, or globs like web*)',
  },
  { key: 'roles', long: 'roles', short: 'R', type: 'list', arg: 'R1,R2', help: 'roles of the selected host set' },
  { key: 'excludeHosts', long: 'exclude-hosts', short: 'x', type: 'list', arg: 'H1,H2', help: 'hosts to leave out' },
  { key: 'parallel', long: 'parallel', short: 'P', type: 'flag', help: 'run on all hosts at once' },
  { key: 'poolSize', long: 'pool-size', short: 'z', type: 'number', arg: 'N', help: 'at most N hosts at once with -P' },
  { key: 'warnOnly', long: 'warn-only', short: 'w', type: 'flag', help: 'a failing command warns instead of aborting' },
  { key: 'set', long: 'set', type: 'repeat', arg: 'K=V,K2=V2', help: 'override settings (Fabric env) for this run' },
  { key: 'user', long: 'user', short: 'u', type: 'string', arg: 'USER', help: 'login user' },
  { key: 'identity', long: 'identity', short: 'i', type: 'repeat', arg: 'KEYFILE', help: 'private key file' },
  { key: 'port', long: 'port', type: 'number', arg: 'PORT', help: 'SSH port' },
  {
    key: 'gateway',
    long: 'gateway',
    short: 'g',
    type: 'string',
    arg: 'HOST',
    help: 'jump host (ProxyJump) for every host',
  },
  { key: 'timeout', long: 'timeout', short: 't', type: 'number', arg: 'SECONDS', help: 'connect timeout (default 10)' },
  {
    key: 'commandTimeout',
    long: 'command-timeout',
    short: 'T',
    type: 'number',
    arg: 'SECONDS',
    help: 'timeout for each command',
  },
  {
    key: 'connectionAttempts',
    long: 'connection-attempts',
    short: 'n',
    type: 'number',
    arg: 'N',
    help: 'connection attempts per host (default 1)',
  },
  { key: 'skipBadHosts', long: 'skip-bad-hosts', type: 'flag', help: 'skip unreachable hosts instead of failing' },
  {
    key: 'sshConfig',
    long: 'ssh-config',
    type: 'string',
    arg: 'PATH',
    help: 'ssh config file (default ~/.ssh/config)',
  },
  {
    key: 'knownHosts',
    long: 'known-hosts',
    type: 'string',
    arg: 'PATH',
    help: 'known_hosts file (default ~/.ssh/known_hosts)',
  },
  {
    key: 'acceptNew',
    long: 'accept-new',
    type: 'flag',
    help: 'trust and record unknown host keys (changed keys are still refused)',
  },
  {
    key: 'password',
    long: 'password',
    short: 'p',
    type: 'flag',
    help: 'also log in with a password: FAB_PASSWORD, or asked once on a terminal when a host wants one',
  },
  {
    key: 'initialPasswordPrompt',
    long: 'initial-password-prompt',
    short: 'I',
    type: 'flag',
    help: 'ask for the login password once, up front (implies -p)',
  },
  {
    key: 'forwardAgent',
    long: 'forward-agent',
    short: 'A',
    type: 'flag',
    help: 'forward your ssh-agent to the hosts (root there can use it; off by default)',
  },
  {
    key: 'sshClient',
    long: 'ssh-client',
    type: 'string',
    arg: 'CLIENT',
    help: 'ssh2 (embedded, default) or openssh (the system ssh, one ControlMaster per host)',
  },
  {
    key: 'persist',
    long: 'persist',
    type: 'string',
    arg: 'DURATION',
    help: 'keep connections DURATION (e.g. 10m) after last use for later runs, in a per-user agent; 0: off',
  },
  { key: 'persistStop', long: 'persist-stop', type: 'flag', help: 'close every connection kept open by --persist' },
  {
    key: 'shard',
    long: 'shard',
    type: 'string',
    arg: 'K/N',
    help: 'run only shard K of N of the hosts (a stable slice by host name hash; for a CI matrix)',
  },
  {
    key: 'sudoPassword',
    long: 'sudo-password',
    type: 'flag',
    help: 'ask for the sudo password once, up front (or set FAB_SUDO_PASSWORD)',
  },
  {
    key: 'pty',
    long: 'pty',
    type: 'flag',
    help: 'run remote commands in a pseudo-terminal (sudoers requiretty); stderr then merges into stdout',
  },
  {
    key: 'shell',
    long: 'shell',
    type: 'flag',
    help: "interactive shell on the one selected host, in this terminal (Fabric's open_shell)",
  },
  {
    key: 'abortOnPrompts',
    long: 'abort-on-prompts',
    type: 'flag',
    help: 'fail instead of prompting (always the case without a TTY)',
  },
  {
    key: 'hide',
    long: 'hide',
    type: 'list',
    arg: 'GROUPS',
    help: 'hide output groups: running, stdout, stderr, status, warnings, output',
  },
  { key: 'show', long: 'show', type: 'list', arg: 'GROUPS', help: 'show output groups hidden by default' },
  {
    key: 'rawOutput',
    long: 'raw-output',
    type: 'flag',
    help: 'on a terminal, pass remote control characters through (default: shown as ^M, ^[)',
  },
  { key: 'json', long: 'json', type: 'flag', help: 'print one NDJSON event per line instead of text' },
  { key: 'dryRun', long: 'dry-run', type: 'flag', help: 'show what would change (file diffs) and change nothing' },
  {
    key: 'breakLock',
    long: 'break-lock',
    type: 'flag',
    help: "take a rolling deploy's lock even if another run holds it (warns)",
  },
  {
    key: 'color',
    long: 'color',
    type: 'flag',
    help: 'colour output (default: when stdout is a TTY); --no-color to disable',
  },
  {
    key: 'yes',
    long: 'yes',
    short: 'y',
    type: 'flag',
    help: "answer yes to confirmations (a task's confirm guard, confirm())",
  },
  {
    key: 'shortlist',
    long: 'shortlist',
    type: 'flag',
    help: 'task names only, one per line (for scripts; --list --json for everything)',
  },
  { key: 'version', long: 'version', short: 'V', type: 'flag', help: 'print the version' },
  { key: 'help', long: 'help', short: 'h', type: 'flag', help: 'show this help' },
];

export function defaultOptions(): FabOptions {
  return {
    fabfile: [],
    list: false,
    hosts: [],
    roles: [],
    excludeHosts: [],
    parallel: false,
    warnOnly: false,
    set: [],
    identity: [],
    connectionAttempts: 1,
    skipBadHosts: false,
    acceptNew: false,
    persistStop: false,
    sudoPassword: false,
    password: false,
    initialPasswordPrompt: false,
    forwardAgent: false,
    pty: false,
    shell: false,
    abortOnPrompts: false,
    hide: [],
    show: [],
    json: false,
    rawOutput: false,
    dryRun: false,
    breakLock: false,
    color: process.stdout.isTTY === true && !process.env.NO_COLOR,
    version: false,
    help: false,
    yes: false,
    shortlist: false,
  };
}

export const byLong = new Map(OPTIONS.map((o) => [o.long, o]));
export const byShort = new Map(OPTIONS.filter((o) => o.short).map((o) => [o.short!, o]));

export function helpText(version: string): string {
  const rows = OPTIONS.map((o) => {
    const flag = `${o.short ? `-${o.short}, ` : '    '}--${o.long}${o.arg ? ` ${o.arg}` : ''}`;
    return `  ${flag.padEnd(34)} ${o.help}`;
  });
  return [
    `fab ${version}: run fabfile tasks over SSH`,
    '',
    'usage: fab [HOSTSET...] [options] TASK[:ARG,KEY=VAL] [POSITIONAL...] [--ARG VALUE] ... [-- SHELL COMMAND]',
    '       fab runs                 rolling runs recorded in .fab/runs',
    '       fab runs --merge DIR...  one report and exit code for the shards of a run (their .fab/runs)',
    '       fab --persist-stop       close the connections kept open by --persist',
    '       fab resume RUN_ID        continue a halted or interrupted rolling run',
    '       fab completion SHELL     print the completion script for bash, zsh or fish',
    '',
    '  fab prod disableLb web1            host set prod, task disableLb, argument web1',
    '  fab prod disableLb:web1 enableLb:web2',
    '  fab -H web1,web2 -- uptime         ad-hoc command',
    '',
    'options:',
    ...rows,
  ].join('\n');
}
