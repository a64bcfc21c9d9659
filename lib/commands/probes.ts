import { join, raw, sh, type ShellCommand } from './quote.js';

/**
 * Read-only probes of a host's state, each a command and a parser of its result (pure): the facts
 * layer (lib/run/facts.ts) runs them once per host and run and caches what they say.
 */

/** What a probe's parser sees of its command's result. */
export interface ProbeOutput {
  stdout: string;
  code: number | null;
}

export interface Probe<T> {
  /** Cache key: two probes with one name must say the same thing. */
  name: string;
  command: ShellCommand;
  parse(out: ProbeOutput): T;
}

/** The pid in a pid file; undefined when the file is missing, empty or not a pid. */
export function pidFile(path: string): Probe<number | undefined> {
  return {
    name: `pid-file:${path}`,
    command: sh`cat -- ${path}`,
    parse: ({ stdout, code }) => {
      const text = stdout.trim();
      return code === 0 && /^[1-9]\d*$/.test(text) ? Number(text) : undefined;
    },
  };
}

export interface Uname {
  /** `uname -s`: Linux, FreeBSD, Darwin. */
  kernel: string;
  /** `uname -r`. */
  release: string;
  /** `uname -m`: x86_64, aarch64. */
  machine: string;
}

/** Kernel name, release and machine, in one call. */
export function uname(): Probe<Uname | undefined> {
  return {
    name: 'uname',
    command: raw('uname -srm'),
    parse: ({ stdout, code }) => {
      const [kernel, release, machine] = stdout.trim().split(/\s+/);
      return code === 0 && kernel && release && machine ? { kernel, release, machine } : undefined;
    },
  };
}

/** Where a tool is on the login user's PATH (`command -v`); undefined when it is not there. */
export function toolPath(tool: string): Probe<string | undefined> {
  return {
    name: `tool-path:${tool}`,
    command: sh`command -v ${tool}`,
    parse: ({ stdout, code }) => {
      const path = stdout.trim();
      return code === 0 && path !== '' ? path : undefined;
    },
  };
}

/**
 * The first of `tools` on the login user's PATH (e.g. mariabackup, xtrabackup, innobackupex); undefined when
 * none is. The text is the backup recipe's own detection, kept as it was (the PATH line after the loop
 * changes nothing: it runs only once every tool was missed).
 */
export function firstTool(tools: readonly string[]): Probe<string | undefined> {
  return {
    name: `first-tool:${tools.join(',')}`,
    command: join(
      [
        sh`for t in ${[...tools]}; do command -v "$t" >/dev/null 2>&1 && { echo "$t"; exit 0; }; done`,
        raw('PATH="$PATH:/usr/sbin"'),
        raw('exit 1'),
      ],
      '; ',
    ),
    parse: ({ stdout, code }) => (code === 0 && stdout.trim() !== '' ? stdout.trim() : undefined),
  };
}

/** The login user's home directory (`~` in a remote path: neither SFTP nor a quoted path expands it). */
export function homeDir(): Probe<string | undefined> {
  return {
    name: 'home',
    command: raw('printf %s "$HOME"', '(home directory)'),
    parse: ({ stdout, code }) => (code === 0 && stdout.startsWith('/') ? stdout : undefined),
  };
}

/** Whether systemd manages this host (its runtime directory exists): services go through systemctl then. */
export function systemdRunning(): Probe<boolean> {
  return {
    name: 'systemd',
    command: raw('test -d /run/systemd/system', '(is systemd running?)'),
    parse: ({ code }) => code === 0,
  };
}
