// get() against a real sshd (the shared lab, web9): a plain readable file comes over an exec channel
// running cat (lib/transport/ssh-get.ts), anything else over SFTP with the errors it always gave; the
// local file appears only whole (temp file + rename), and a file that changes size on the way is an error.
import { execFileSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InterruptedError, TransferError } from '../../lib/errors.js';
import { catGet } from '../../lib/transport/ssh-get.js';
import { sftpGet } from '../../lib/transport/ssh-sftp.js';
import { newRemoteTemps, sigintAtFirstProgress, sigintWhen } from '../helpers/fab.js';
import { useLabTransport } from '../helpers/lab-transport.js';
import { waitFor } from '../lab/test-helpers.js';

const HOST = 'web9';
const lab = useLabTransport(HOST, 'getcat');
const { onHost, remote, fabTask } = lab;
let local: string;
/** Every byte value, then an odd tail: nothing may be translated, dropped or added on the way. */
const BINARY = Buffer.concat([
  Buffer.from(Array.from({ length: 256 * 4096 }, (_, i) => i % 256)),
  Buffer.from('\n\r\n\0\xff tail'),
]);

const localFiles = () => readdirSync(local).sort();

describe('get over cat', () => {
  it('copies a binary file with every byte value exactly, through an awkward name, with progress to the size', async () => {
    local = mkdtempSync(join(tmpdir(), 'fab-getcat-'));
    const name = "-odd 'name'\n$(x)";
    writeFileSync(onHost(name), BINARY);
    const seen: [number, number][] = [];
    const bytes = await lab.t.get(remote(name), join(local, 'back.bin'), { onProgress: (d, n) => seen.push([d, n]) });
    expect(bytes).toBe(BINARY.length);
    expect(readFileSync(join(local, 'back.bin')).equals(BINARY)).toBe(true);
    expect(seen.at(-1)).toEqual([BINARY.length, BINARY.length]);
    expect(localFiles()).toEqual(['back.bin']);
  });

  it('is the path taken for a regular file; a folder, a missing or an unreadable file are left to SFTP', async () => {
    writeFileSync(onHost('plain'), 'abc');
    writeFileSync(onHost('locked'), 'secret', { mode: 0o600 });
    execFileSync('chown', ['root:root', onHost('locked')]);
    mkdirSync(onHost('dir'), { recursive: true });
    const client = lab.ssh.connection!;
    expect(await catGet(client, remote('plain'), join(local, 'plain'))).toBe(3);
    expect(readFileSync(join(local, 'plain'), 'utf8')).toBe('abc');
    for (const other of ['locked', 'dir', 'missing']) {
      expect(await catGet(client, remote(other), join(local, other))).toBeUndefined();
    }
    expect(localFiles()).toEqual(['back.bin', 'plain']);
  });

  it('gets an empty file as an empty file', async () => {
    writeFileSync(onHost('empty'), '');
    expect(await lab.t.get(remote('empty'), join(local, 'empty'))).toBe(0);
    expect(readFileSync(join(local, 'empty')).length).toBe(0);
  });

  it('names the path in the errors of a missing and of an unreadable file, and writes nothing locally', async () => {
    writeFileSync(join(local, 'keep'), 'old');
    await expect(lab.t.get(remote('missing'), join(local, 'keep'))).rejects.toMatchObject({
      code: 'ENOENT',
      message: `${remote('missing')}: No such file`,
    });
    await expect(lab.t.get(remote('locked'), join(local, 'keep'))).rejects.toMatchObject({
      code: 'EACCES',
      message: `${remote('locked')}: Permission denied`,
    });
    expect(readFileSync(join(local, 'keep'), 'utf8')).toBe('old');
    expect(localFiles()).toEqual(['back.bin', 'empty', 'keep', 'plain']);
  });

  it('fails when the file grows during the download, and leaves the old local file as it was', async () => {
    // 128 MiB: more than sshd can read ahead (its 8 MiB window from us, its own 16 MiB buffer, pipes),
    // so cat is still reading when the first write lands and the file grows.
    execFileSync('sh', ['-c', `head -c 128M /dev/zero > '${onHost('growing')}'`]);
    let grown = false;
    const grow = () => {
      if (!grown) appendFileSync(onHost('growing'), 'more');
      grown = true;
    };
    const err = await lab.t.get(remote('growing'), join(local, 'keep'), { onProgress: grow }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TransferError);
    expect((err as Error).message).toBe(
      `${remote('growing')}: the file changed size during the download (134217728 bytes at the start, 134217732 read)`,
    );
    expect(readFileSync(join(local, 'keep'), 'utf8')).toBe('old');
    expect(localFiles()).toEqual(['back.bin', 'empty', 'keep', 'plain']);
  });

  it('stops on its abort signal (Ctrl-C) with InterruptedError, leaving no temp file and the old file as it was', async () => {
    // Sparse: 4 GiB on the way, no disk on the host; the abort comes at the first progress.
    execFileSync('truncate', ['-s', '4G', onHost('huge')]);
    const ac = new AbortController();
    const err = await lab.t
      .get(remote('huge'), join(local, 'keep'), { onProgress: () => ac.abort(), signal: ac.signal })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    expect(readFileSync(join(local, 'keep'), 'utf8')).toBe('old');
    expect(localFiles()).toEqual(['back.bin', 'empty', 'keep', 'plain']);
    // The connection is still good for the next copy.
    expect(await lab.t.get(remote('plain'), join(local, 'plain'))).toBe(3);
    chmodSync(local, 0o700);
    rmSync(local, { recursive: true });
  });
});

describe('get over SFTP (a folder, a special or an unreadable file)', () => {
  it('stops on its abort signal (Ctrl-C) with InterruptedError, ending its SFTP session', async () => {
    // Sparse on the host: 256 MiB on the way; the abort comes at the first progress.
    execFileSync('truncate', ['-s', '256M', onHost('sftp-big')]);
    const dir = mkdtempSync(join(tmpdir(), 'fab-getsftp-'));
    const sftp = await lab.ssh.requestSFTP();
    let closed = false;
    sftp.on('close', () => (closed = true));
    const ac = new AbortController();
    const err = await sftpGet(sftp, remote('sftp-big'), join(dir, 'part'), {
      onProgress: () => ac.abort(),
      signal: ac.signal,
    }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InterruptedError);
    await waitFor('the SFTP session closed', () => closed);
    rmSync(dir, { recursive: true });
  });
});

describe('Ctrl-C during a whole fab get', () => {
  it.each([
    ['once: the copy stops, its temp file is removed', 1],
    ['twice at once: fab exits at once, its exit removes the temp file', 2],
  ])('%s; no partial destination', async (_what, times) => {
    execFileSync('truncate', ['-s', '4G', onHost('huge')]);
    const dir = mkdtempSync(join(tmpdir(), 'fab-getint-'));
    const ctrlC = sigintAtFirstProgress(times);
    const r = await fabTask(['doGet', '--remote', remote('huge'), '--local', join(dir, 'huge')], {
      onStdout: ctrlC.onStdout,
    });
    expect(ctrlC.sent()).toBe(true);
    expect(r.code).toBe(130);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});

describe('Ctrl-C during a whole fab get with sudo', () => {
  // A root-only file: sudo copies it into a folder the login user made with mktemp, then it comes over cat.
  // Commands are refused after the Ctrl-C, so the folder's removal must not go through the runner.
  it.each([
    ['during the copy as root', (out: string) => /"type":"command.start"[^\n]*for download as root/.test(out)],
    ['during the download', (out: string) => out.includes('"type":"transfer.progress"')],
  ])('%s: no temp folder is left on the host', async (_what, when) => {
    // Sparse on the host; the copy as root makes it 1 GiB in the temp folder, enough for a progress event.
    execFileSync('truncate', ['-s', '1G', onHost('rootonly')]);
    execFileSync('chown', ['root:root', onHost('rootonly')]);
    chmodSync(onHost('rootonly'), 0o600);
    const dir = mkdtempSync(join(tmpdir(), 'fab-getsudo-'));
    const ours = newRemoteTemps('.fab-get.');
    let atCtrlC: string[] = [];
    const ctrlC = sigintWhen(when, 1, () => (atCtrlC = ours()));
    const r = await fabTask(['doGet', '--sudo', '--remote', remote('rootonly'), '--local', join(dir, 'got')], {
      onStdout: ctrlC.onStdout,
    });
    expect(ctrlC.sent()).toBe(true);
    expect(r.code).toBe(130);
    expect(atCtrlC.length).toBeGreaterThan(0);
    await waitFor('no temp folder left by this run', () => ours().length === 0, 5000);
    expect(readdirSync(dir)).toEqual([]);
    rmSync(dir, { recursive: true });
  });
});
