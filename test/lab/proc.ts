// Process helpers for the lab: liveness that treats zombies as dead (PID 1 here reaps orphans lazily),
// start times to tell a reused pid from ours, finding a lab host's processes by its namespace marker,
// and killing by pid only.
import { execFile } from 'node:child_process';
import { readFileSync, readdirSync, readlinkSync, statSync } from 'node:fs';

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Run a command without a shell; never throws for a non-zero exit (check .code). */
export function run(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolve) => {
    const child = execFile(
      cmd,
      args,
      { timeout: opts.timeoutMs ?? 30_000, maxBuffer: 16 << 20 },
      (err, stdout, stderr) => {
        const code = err
          ? typeof (err as { code?: unknown }).code === 'number'
            ? (err as { code: number }).code
            : 1
          : 0;
        resolve({
          code,
          stdout: String(stdout),
          stderr: String(stderr) + (err && code === 1 && !stderr ? String(err.message) : ''),
        });
      },
    );
    child.stdin?.on('error', () => {
      /* EPIPE: the command exited without reading its input */
    });
    if (opts.input !== undefined) child.stdin?.end(opts.input);
  });
}

/** Like run() but throws with the command's stderr on a non-zero exit. */
export async function mustRun(
  cmd: string,
  args: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<string> {
  const r = await run(cmd, args, opts);
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (exit ${r.code}): ${r.stderr.trim()}`);
  return r.stdout;
}

function statFields(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.slice(s.lastIndexOf(')') + 2).split(' '); // [0] = state (field 3), [19] = starttime (field 22)
  } catch {
    return undefined;
  }
}

/** 'R', 'S', 'T' (stopped), 'Z' (zombie), ...; undefined when the pid does not exist */
export function procState(pid: number): string | undefined {
  return pid > 0 ? statFields(pid)?.[0] : undefined;
}

export function procStartTime(pid: number): number | undefined {
  const f = pid > 0 ? statFields(pid) : undefined;
  return f?.[19] === undefined ? undefined : Number(f[19]);
}

/** Exists and is not a zombie (and, if given, started at startTime). */
export function isAlive(pid: number, startTime?: number): boolean {
  const f = pid > 0 ? statFields(pid) : undefined;
  if (!f || f[0] === 'Z' || f[0] === 'X') return false;
  return startTime === undefined || Number(f[19]) === startTime;
}

function nsLink(pid: number, kind: string): string | undefined {
  try {
    return readlinkSync(`/proc/${pid}/ns/${kind}`);
  } catch {
    return undefined;
  }
}

/**
 * Wait until `pid` shares `target`'s namespaces of the given kinds (a child of nsenter after its setns()).
 * Polls /proc at 2 ms: under load setns can take a while, so no fixed sleep would do.
 */
export async function waitInNamespaces(
  pid: number,
  target: number,
  kinds: string[],
  timeoutMs: number,
  why: () => string,
): Promise<void> {
  const want = kinds.map((k) => nsLink(target, k));
  for (const end = Date.now() + timeoutMs; ;) {
    if (kinds.every((k, i) => want[i] !== undefined && nsLink(pid, k) === want[i])) return;
    if (!isAlive(pid))
      throw new Error(`lab: pid ${pid} exited before entering the namespaces of pid ${target}\n${why()}`);
    if (Date.now() > end)
      throw new Error(`lab: pid ${pid} did not enter the namespaces of pid ${target} within ${timeoutMs} ms`);
    await sleep(2);
  }
}

/** The process's command name (/proc/<pid>/comm), '' when it is gone. */
export function procComm(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '';
  }
}

export function procCmdline(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ').trim();
  } catch {
    return '';
  }
}

function allPids(): number[] {
  return readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .map(Number);
}

/**
 * Every process's command line, as `ps -eo args` shows it (to prove a secret is on none of them). The lab's hosts
 * share this machine's process table (mount + UTS namespaces), so this sees the remote shells too.
 */
export const allCommandLines = (): string[] => allPids().map(procCmdline);

/** Marker written to <host root>/run/fabts-lab; the host's /run is bind-mounted from there. */
export const MARKER = 'run/fabts-lab';
export function markerText(dir: string, host: string): string {
  return `fabts-lab\n${dir}\n${host}\n`;
}

/**
 * Processes living inside lab hosts' mount namespaces, found by reading the marker through
 * /proc/<pid>/root (which resolves in that process's mount namespace). Returns host -> pids for
 * hosts of the lab in `dir` only. This catches sshd, its sessions and spawned services, also after
 * the sshd itself died. Processes of the calling mount namespace are never included.
 */
export function findLabProcesses(dir: string): Map<string, number[]> {
  let self = '';
  try {
    self = readlinkSync('/proc/self/ns/mnt');
  } catch {
    /* ignore */
  }
  const byNs = new Map<string, number[]>();
  for (const pid of allPids()) {
    let ns: string;
    try {
      ns = readlinkSync(`/proc/${pid}/ns/mnt`);
    } catch {
      continue;
    } // gone, zombie or kernel thread
    if (ns === self) continue;
    const list = byNs.get(ns);
    if (list) list.push(pid);
    else byNs.set(ns, [pid]);
  }
  const prefix = `fabts-lab\n${dir}\n`;
  const out = new Map<string, number[]>();
  for (const pids of byNs.values()) {
    for (const pid of pids) {
      // members may be chrooted (sshd privsep): try until one can read it
      let text: string;
      try {
        text = readFileSync(`/proc/${pid}/root/${MARKER}`, 'utf8');
      } catch {
        continue;
      }
      if (text.startsWith(prefix)) {
        const host = text.slice(prefix.length).trim();
        out.set(host, [...(out.get(host) ?? []), ...pids]);
      }
      break;
    }
  }
  return out;
}

/** Processes whose network namespace is the named one (ip netns). */
export function pidsInNetns(name: string): number[] {
  let target: string;
  try {
    target = `net:[${statSync(`/run/netns/${name}`).ino}]`; // the nsfs inode of the bind-mounted ns file
  } catch {
    return [];
  }
  const out: number[] = [];
  for (const pid of allPids()) {
    try {
      if (readlinkSync(`/proc/${pid}/ns/net`) === target) out.push(pid);
    } catch {
      /* gone */
    }
  }
  return out;
}

/** Send a signal; a pid that is already gone is no error. */
export function signal(pid: number, sig: NodeJS.Signals): void {
  try {
    process.kill(pid, sig);
  } catch {
    /* already gone */
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/**
 * Stop the given pids (already verified as ours): SIGTERM + SIGCONT (a SIGSTOPped process would
 * never see the TERM), then SIGKILL whatever is still alive after graceMs. Resolves when all are dead
 * (or zombies). Returns pids that survived (should be empty).
 */
export async function killPids(pids: Iterable<number>, graceMs = 2000): Promise<number[]> {
  const list = [...new Set(pids)].filter((p) => p > 1 && p !== process.pid);
  for (const p of list) {
    signal(p, 'SIGTERM');
    signal(p, 'SIGCONT');
  }
  const waitDead = async (ms: number) => {
    const end = Date.now() + ms;
    for (;;) {
      const alive = list.filter((p) => isAlive(p));
      if (alive.length === 0 || Date.now() >= end) return alive;
      await sleep(10);
    }
  };
  let alive = await waitDead(graceMs);
  if (alive.length === 0) return [];
  for (const p of alive) signal(p, 'SIGKILL');
  alive = await waitDead(2000);
  return alive;
}
