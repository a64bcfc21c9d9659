// Small helpers for the lab's own tests.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { run, sleep } from './proc.js';
import { sshArgs } from './ssh.js';
import type { LabState } from './types.js';

/** What a raw TCP client sees: the first bytes of the banner, or the error code (ECONNREFUSED, ...). */
export function tcpProbe(host: string, port: number, bannerTimeoutMs = 1000): Promise<string> {
  return new Promise((resolve) => {
    const sock = connect({ host, port });
    let connected = false;
    const done = (r: string) => {
      clearTimeout(t);
      sock.destroy();
      resolve(r);
    };
    const t = setTimeout(() => done(connected ? 'no-banner' : 'connect-timeout'), bannerTimeoutMs + 2000);
    sock.on('connect', () => {
      connected = true;
      clearTimeout(t);
      setTimeout(() => done('no-banner'), bannerTimeoutMs);
    });
    sock.on('data', (d) => done(`banner:${d.toString('latin1').trim()}`));
    sock.on('error', (e: NodeJS.ErrnoException) => done(e.code ?? e.message));
  });
}

export async function waitFor<T>(what: string, fn: () => T | undefined | false, timeoutMs = 5000): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const v = fn();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

export function readIf(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

/** A long-running ssh session (`echo ready; sleep 600`); resolves once the remote side printed "ready". */
export async function openSession(
  state: LabState,
  host: string,
): Promise<{ exited: Promise<number | null>; kill: () => void }> {
  const child = spawn('ssh', sshArgs(state, host, 'echo ready; exec sleep 600'), { stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  let out = '';
  child.stdout.on('data', (d) => {
    out += String(d);
  });
  await Promise.race([
    waitFor(`ssh session on ${host}`, () => out.includes('ready'), 10_000),
    exited.then((c) => {
      throw new Error(`ssh session to ${host} exited early (${c})`);
    }),
  ]);
  return { exited, kill: () => child.kill('SIGKILL') };
}

/** `ssh-keygen -lf known_hosts` as address -> "SHA256:..." */
export async function knownHostFingerprints(file: string): Promise<Record<string, string>> {
  const r = await run('ssh-keygen', ['-lf', file]);
  const out: Record<string, string> = {};
  for (const line of r.stdout.trim().split('\n')) {
    const [, fp, host] = line.split(/\s+/);
    if (fp && host) out[host] = fp;
  }
  return out;
}

/** HAProxy `show stat` CSV as svname -> row (field names from the "# pxname,svname,..." header). */
export function parseHaproxyStat(csv: string): Record<string, Record<string, string>> {
  const lines = csv.split('\n').filter((l) => l.trim());
  const header = (lines.shift() ?? '').replace(/^#\s*/, '').split(',');
  const out: Record<string, Record<string, string>> = {};
  for (const line of lines) {
    const f = line.split(',');
    const row = Object.fromEntries(header.map((h, i) => [h, f[i] ?? '']));
    out[row.svname ?? ''] = row;
  }
  return out;
}

/** Backend (first word of the body) of each of n sequential GETs, counted. */
export async function spread(
  url: string,
  n: number,
  get: (u: string) => Promise<{ status: number; body: string }>,
): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const r = await get(url);
    const k = r.status === 200 ? (r.body.split(/\s/)[0] ?? '') : `status ${r.status}`;
    out[k] = (out[k] ?? 0) + 1;
  }
  return out;
}
