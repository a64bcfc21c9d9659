// One lab host = one `sshd -D` in its own mount + UTS namespace (and, for the jump topology, its own
// network namespace), with per-host /etc/hostname, /etc/hosts, /srv, /run and extra bind paths.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  chownSync,
  closeSync,
  cpSync,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { connect } from 'node:net';
import { MARKER, isAlive, markerText, mustRun, run, sleep } from './proc.js';
import type { LbKind } from './types.js';

export const SSH_PORT = 2222;
export const SSHD = '/usr/sbin/sshd';

/** Everything needed to (re)start a host; persisted as $LAB/hosts/<name>/spec.json. */
export interface HostSpec {
  name: string;
  address: string;
  port: number;
  roles: string[];
  binds: string[];
  /** network namespace the sshd runs in (jump topology) */
  netns?: string;
  /** network namespace to probe readiness from when the root namespace cannot reach the host */
  probeNetns?: string;
  jump?: string;
  /** lb: true labs: lb1 runs nginx, lb2 HAProxy */
  lbKind?: LbKind;
}

export const hostDir = (dir: string, name: string) => `${dir}/hosts/${name}`;
export const hostRoot = (dir: string, name: string) => `${dir}/hosts/${name}/root`;
export const sshdConfigPath = (dir: string, name: string) => `${hostDir(dir, name)}/sshd_config`;
export const sshdLogPath = (dir: string, name: string) => `${hostDir(dir, name)}/sshd.log`;
const hostKeyPath = (dir: string, name: string) => `${hostDir(dir, name)}/ssh_host_ed25519_key`;

const q = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/** "SHA256:..." of an OpenSSH public key line, as `ssh-keygen -lf` prints it. */
export function fingerprint(pubLine: string): string {
  const blob = Buffer.from(pubLine.trim().split(/\s+/)[1] ?? '', 'base64');
  return 'SHA256:' + createHash('sha256').update(blob).digest('base64').replace(/=+$/, '');
}

/** Generate an ed25519 key pair unless it exists; returns the public key line ("ssh-ed25519 AAAA... comment"). */
export async function ensureKey(path: string, comment: string): Promise<string> {
  if (!existsSync(path) || !existsSync(`${path}.pub`)) {
    await run('rm', ['-f', path, `${path}.pub`]);
    await mustRun('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', path]);
  }
  return readFileSync(`${path}.pub`, 'utf8').trim();
}

function sshdConfig(dir: string, spec: HostSpec): string {
  const h = hostDir(dir, spec.name);
  return [
    `# fabts lab host ${spec.name} (generated)`,
    `ListenAddress ${spec.address}:${spec.port}`,
    `HostKey ${hostKeyPath(dir, spec.name)}`,
    `PidFile ${h}/sshd.pid`,
    `AuthorizedKeysFile ${dir}/ssh/authorized_keys`,
    'PasswordAuthentication no',
    'KbdInteractiveAuthentication no',
    'UsePAM no',
    'StrictModes no',
    'PermitRootLogin prohibit-password',
    'Subsystem sftp internal-sftp',
    'MaxStartups 200:30:400',
    'MaxSessions 50',
    'LogLevel VERBOSE',
    '',
  ].join('\n');
}

export function etcHosts(all: HostSpec[]): string {
  return [
    '127.0.0.1 localhost',
    '::1 localhost ip6-localhost ip6-loopback',
    ...all.map((h) => `${h.address} ${h.name}`),
    '',
  ].join('\n');
}

/**
 * Create/refresh the host's files. The host key is kept if it exists. Returns the public host key line.
 * `owner` = uid/gid of the login user that owns /srv.
 */
export async function prepareHost(
  dir: string,
  spec: HostSpec,
  all: HostSpec[],
  owner: { uid: number; gid: number },
): Promise<string> {
  const h = hostDir(dir, spec.name);
  const root = hostRoot(dir, spec.name);
  for (const d of [h, root, `${root}/etc`, `${root}/run`, `${root}/run/sshd`])
    mkdirSync(d, { recursive: true, mode: 0o755 });
  chmodSync(`${root}/run/sshd`, 0o755); // privsep chroot: must be root-owned, not group/world-writable
  mkdirSync(`${root}/run/lock`, { recursive: true });
  chmodSync(`${root}/run/lock`, 0o1777);
  if (!existsSync(`${root}/srv`)) mkdirSync(`${root}/srv`, { mode: 0o755 });
  chownSync(`${root}/srv`, owner.uid, owner.gid);
  chmodSync(`${root}/srv`, 0o755);
  for (const p of spec.binds) {
    const local = root + p;
    if (existsSync(local)) continue;
    let st;
    try {
      st = statSync(p);
    } catch {
      mkdirSync(p, { recursive: true });
      st = statSync(p);
    } // mount point must exist
    mkdirSync(local.slice(0, local.lastIndexOf('/')), { recursive: true });
    // seed the host's copy with the system's content (e.g. a working /etc/nginx)
    if (st.isDirectory()) cpSync(p, local, { recursive: true, preserveTimestamps: true, verbatimSymlinks: true });
    else cpSync(p, local);
  }
  writeFileSync(`${root}/etc/hostname`, `${spec.name}\n`);
  writeFileSync(`${root}/etc/hosts`, etcHosts(all));
  writeFileSync(`${root}/${MARKER}`, markerText(dir, spec.name));
  writeFileSync(sshdConfigPath(dir, spec.name), sshdConfig(dir, spec));
  writeFileSync(sshdLogPath(dir, spec.name), ''); // a new lab starts with fresh logs (startHost appends)
  writeFileSync(`${h}/spec.json`, JSON.stringify(spec, null, 2) + '\n');
  return ensureKey(hostKeyPath(dir, spec.name), `fabts-lab-${spec.name}`);
}

export function readSpec(dir: string, name: string): HostSpec {
  return JSON.parse(readFileSync(`${hostDir(dir, name)}/spec.json`, 'utf8')) as HostSpec;
}

/** Paths bind-mounted inside the host: [host-side source, mount point]. */
function mounts(dir: string, spec: HostSpec): Array<[string, string]> {
  const root = hostRoot(dir, spec.name);
  return ['/etc/hostname', '/etc/hosts', '/srv', '/run', ...spec.binds].map((p): [string, string] => [root + p, p]);
}

/** Start the host's sshd detached; the returned pid IS sshd (unshare/ip netns exec/sh all exec). */
export function spawnSshd(dir: string, spec: HostSpec): number {
  mkdirSync('/srv', { recursive: true });
  const script = [
    'mount --make-rprivate /',
    ...mounts(dir, spec).map(([src, dst]) => `mount --bind ${q(src)} ${q(dst)}`),
    `hostname ${q(spec.name)}`,
    `exec ${SSHD} -D -f ${q(sshdConfigPath(dir, spec.name))} -E ${q(sshdLogPath(dir, spec.name))}`,
  ].join(' && ');
  const argv = ['unshare', '--mount', '--uts', '--', '/bin/sh', '-c', script];
  if (spec.netns) argv.unshift('ip', 'netns', 'exec', spec.netns);
  const log = openSync(sshdLogPath(dir, spec.name), 'a'); // early failures (mount, exec) land in sshd.log too
  try {
    const child = spawn(argv[0]!, argv.slice(1), { detached: true, stdio: ['ignore', log, log] });
    child.on('error', () => {
      /* reported by the readiness check */
    });
    child.unref();
    if (!child.pid) throw new Error(`lab: could not spawn ${argv[0]} for host ${spec.name}`);
    return child.pid;
  } finally {
    closeSync(log);
  }
}

export function logTail(file: string, lines = 15): string {
  try {
    return readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One attempt: connect and read the identification line. Resolves the first bytes, or throws. */
function banner(address: string, port: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const sock = connect({ host: address, port });
    let buf = '';
    const done = (err?: Error) => {
      clearTimeout(t);
      sock.destroy();
      if (err) reject(err);
      else resolve(buf);
    };
    const t = setTimeout(() => done(new Error('timeout waiting for banner')), timeoutMs);
    sock.on('data', (d) => {
      buf += d.toString('latin1');
      if (buf.includes('\n') || buf.length >= 64) done();
    });
    sock.on('error', (e) => done(e));
    sock.on('end', () => done(buf ? undefined : new Error('connection closed before banner')));
  });
}

async function bannerVia(netns: string, address: string, port: number): Promise<string> {
  const r = await run('ip', [
    'netns',
    'exec',
    netns,
    'timeout',
    '2',
    'bash',
    '-c',
    `exec 3<>/dev/tcp/${address}/${port} && head -c 7 <&3`,
  ]);
  if (r.code !== 0) throw new Error(r.stderr.trim() || `exit ${r.code}`);
  return r.stdout;
}

/** Probe once: does the host's port answer with an SSH-2.0 banner? */
export async function probe(spec: HostSpec, timeoutMs = 1000): Promise<boolean> {
  try {
    const b = spec.probeNetns
      ? await bannerVia(spec.probeNetns, spec.address, spec.port)
      : await banner(spec.address, spec.port, timeoutMs);
    return b.startsWith('SSH-2.0');
  } catch {
    return false;
  }
}

/** Ready = the port answers with an SSH-2.0 banner AND the process is still alive. */
export async function waitReady(dir: string, spec: HostSpec, pid: number, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  let last = 'not started';
  for (;;) {
    if (!isAlive(pid)) {
      last = `sshd (pid ${pid}) exited`;
      break;
    }
    try {
      const b = spec.probeNetns
        ? await bannerVia(spec.probeNetns, spec.address, spec.port)
        : await banner(spec.address, spec.port, 1000);
      if (b.startsWith('SSH-2.0') && isAlive(pid)) return;
      last = `unexpected banner ${JSON.stringify(b.slice(0, 40))}`;
    } catch (e) {
      last = (e as Error).message;
    }
    if (Date.now() >= end) break;
    await sleep(20);
  }
  if (!isAlive(pid) && !last.includes('exited')) last += `; sshd (pid ${pid}) exited`;
  await sleep(50); // let sshd flush its last words
  const log = sshdLogPath(dir, spec.name);
  throw new Error(
    `lab: host ${spec.name} (${spec.address}:${spec.port}) failed to start: ${last}\n--- tail of ${log} ---\n${logTail(log)}`,
  );
}
