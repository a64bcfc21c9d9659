// put() of a larger file against a real sshd (the shared lab, web9): the bytes go over an exec channel into
// `cat > tmp` (lib/transport/ssh-put.ts), checked for size and renamed into place; where that cannot go
// (the target's folder missing) nothing is sent and SFTP gives the errors it always gave. A put cut short
// (Ctrl-C, a local file that changes size) leaves the old target and no temp file on the host.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chownSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, TransferError } from '../../lib/errors.js';
import { catPut } from '../../lib/transport/ssh-put.js';
import { newRemoteTemps, sigintAtFirstProgress } from '../helpers/fab.js';
import { useLabTransport } from '../helpers/lab-transport.js';
import { waitFor } from '../lab/test-helpers.js';

const HOST = 'web9';
const lab = useLabTransport(HOST, 'putcat');
const { onHost, remote, fabTask } = lab;
let uid: number;
const local = mkdtempSync(join(tmpdir(), 'fab-putcat-'));
/** Every byte value over 3 MiB, then an odd tail: nothing may be translated, dropped or added on the way. */
const BINARY = Buffer.concat([
  Buffer.from(Array.from({ length: 3 * 1048576 }, (_, i) => (i * 7) % 256)),
  Buffer.from('\n\r\n\0\xff tail'),
]);

const hostFiles = () => readdirSync(lab.srvDir).sort();

beforeAll(() => {
  uid = statSync(lab.srvDir).uid;
  writeFileSync(join(local, 'bin'), BINARY);
});

afterAll(() => rmSync(local, { recursive: true, force: true }));

describe('put over cat', () => {
  it('lands a binary file byte for byte through an awkward name, with the mode asked, progress to the size', async () => {
    const name = "-odd 'name'\n$(x)";
    const seen: [number, number][] = [];
    const r = await lab.t.putStream!(join(local, 'bin'), remote(name), {
      mode: 0o640,
      onProgress: (d, n) => seen.push([d, n]),
    });
    expect(r).toEqual({ remote: remote(name), bytes: BINARY.length });
    expect(readFileSync(onHost(name)).equals(BINARY)).toBe(true);
    expect(statSync(onHost(name)).mode & 0o7777).toBe(0o640);
    expect(statSync(onHost(name)).uid).toBe(uid);
    expect(seen.length).toBeGreaterThan(2);
    expect(seen.at(-1)).toEqual([BINARY.length, BINARY.length]);
    expect(hostFiles()).toEqual([name]);
  });

  it('replaces an existing file keeping its mode, and goes inside a folder under the name given', async () => {
    writeFileSync(onHost('old'), 'old', { mode: 0o604 });
    chownSync(onHost('old'), uid, statSync(lab.srvDir).gid);
    expect(await lab.t.putStream!(join(local, 'bin'), remote('old'))).toEqual({
      remote: remote('old'),
      bytes: BINARY.length,
    });
    expect(readFileSync(onHost('old')).equals(BINARY)).toBe(true);
    expect(statSync(onHost('old')).mode & 0o7777).toBe(0o604);
    mkdirSync(onHost('dir'));
    chownSync(onHost('dir'), uid, statSync(lab.srvDir).gid);
    const r = await lab.t.putStream!(join(local, 'bin'), remote('dir'), { intoDir: 'in.bin' });
    expect(r).toEqual({ remote: remote('dir/in.bin'), bytes: BINARY.length });
    expect(readFileSync(onHost('dir/in.bin')).equals(BINARY)).toBe(true);
  });

  it('sends nothing where it cannot make its temp file; SFTP then names the path as before', async () => {
    const before = hostFiles();
    expect(await catPut(lab.ssh.connection!, join(local, 'bin'), remote('no/such/x'))).toBeUndefined();
    mkdirSync(onHost('locked'));
    expect(await catPut(lab.ssh.connection!, join(local, 'bin'), remote('locked/x'))).toBeUndefined();
    expect(readdirSync(onHost('locked'))).toEqual([]);
    await expect(lab.t.put(join(local, 'bin'), remote('no/such/x'))).rejects.toMatchObject({
      code: 'ENOENT',
      message: `${remote('no/such/x')}: No such file`,
    });
    expect(hostFiles()).toEqual([...before, 'locked'].sort());
  });

  it('fails when the local file changes size on the way, leaving the old target and no temp file', async () => {
    writeFileSync(onHost('keep'), 'old');
    execFileSync('sh', ['-c', `head -c 64M /dev/zero > '${join(local, 'growing')}'`]);
    let grown = false;
    const grow = () => {
      if (!grown) appendFileSync(join(local, 'growing'), 'more');
      grown = true;
    };
    const err = await lab.t.putStream!(join(local, 'growing'), remote('keep'), { onProgress: grow }).catch(
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(TransferError);
    expect((err as Error).message).toBe(
      `${remote('keep')}: the local file changed size during the upload (67108864 bytes at the start, 67108868 read)`,
    );
    expect(readFileSync(onHost('keep'), 'utf8')).toBe('old');
    expect(hostFiles().filter((f) => f.startsWith('.fab-put'))).toEqual([]);
  });

  it('stops on its abort signal (Ctrl-C): InterruptedError, old target kept, no temp file, connection fine', async () => {
    // Sparse: 4 GiB to send, no disk here; the abort comes at the first progress, with the host's cat writing.
    execFileSync('truncate', ['-s', '4G', join(local, 'huge')]);
    const ac = new AbortController();
    const err = await lab.t.putStream!(join(local, 'huge'), remote('keep'), {
      onProgress: () => ac.abort(),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(readFileSync(onHost('keep'), 'utf8')).toBe('old');
    expect(hostFiles().filter((f) => f.startsWith('.fab-put'))).toEqual([]);
    expect(await lab.t.putStream!(join(local, 'bin'), remote('after'))).toEqual({
      remote: remote('after'),
      bytes: BINARY.length,
    });
  });
});

describe('put over SFTP (where cat cannot go)', () => {
  it('stops on its abort signal (Ctrl-C) with InterruptedError; the next put opens a new SFTP session', async () => {
    // Sparse here: 256 MiB to send, written in place on the host; the abort comes at the first progress.
    execFileSync('truncate', ['-s', '256M', join(local, 'big')]);
    const ac = new AbortController();
    const err = await lab.t
      .put(join(local, 'big'), remote('sftp-big'), { onProgress: () => ac.abort(), signal: ac.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(statSync(onHost('sftp-big')).size).toBeLessThan(256 * 1048576);
    expect(await lab.t.put(join(local, 'bin'), remote('sftp-after'))).toBe(BINARY.length);
    expect(readFileSync(onHost('sftp-after')).equals(BINARY)).toBe(true);
  });
});

describe('Ctrl-C during a whole fab put', () => {
  it.each([
    ['once: the copy stops, the host removes its temp file before fab exits', 1],
    ['twice at once: fab exits at once; the host, cut off, removes its temp file', 2],
  ])('%s; the old target stays', async (_what, times) => {
    writeFileSync(onHost('target'), 'old');
    execFileSync('truncate', ['-s', '4G', join(local, 'huge')]);
    const ctrlC = sigintAtFirstProgress(times);
    const r = await fabTask(['doPut', '--local', join(local, 'huge'), '--remote', remote('target')], {
      onStdout: ctrlC.onStdout,
    });
    expect(ctrlC.sent()).toBe(true);
    expect(r.code).toBe(130);
    const temps = () => hostFiles().filter((f) => f.startsWith('.fab-put'));
    // Once: fab waited for the host's cleanup. Twice: sshd sees the connection go, cat its stdin end, and the
    // size check fails; that happens on the host's own time, after fab is gone.
    if (times === 1) expect(temps()).toEqual([]);
    else await waitFor('the temp file removed', () => temps().length === 0, 10_000);
    expect(readFileSync(onHost('target'), 'utf8')).toBe('old');
  });
});

describe('Ctrl-C during a whole fab put with sudo', () => {
  it('at the first progress: no temp folder is left on the host, the old target stays', async () => {
    // The upload goes into a folder the login user made with mktemp; commands are refused after the Ctrl-C,
    // so the folder's removal must not go through the runner.
    writeFileSync(onHost('target'), 'old');
    execFileSync('truncate', ['-s', '4G', join(local, 'huge')]);
    const ours = newRemoteTemps('.fab-put.');
    let atCtrlC: string[] = [];
    const ctrlC = sigintAtFirstProgress(1, () => (atCtrlC = ours()));
    const r = await fabTask(['doPut', '--sudo', '--local', join(local, 'huge'), '--remote', remote('target')], {
      onStdout: ctrlC.onStdout,
    });
    expect(ctrlC.sent()).toBe(true);
    expect(r.code).toBe(130);
    expect(atCtrlC.length).toBeGreaterThan(0);
    await waitFor('no temp folder left by this run', () => ours().length === 0, 5000);
    expect(readFileSync(onHost('target'), 'utf8')).toBe('old');
  });
});
