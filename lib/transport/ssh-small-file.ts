import { CAT_EXIT, catFile, PUT_SHORT, putStdin, writeStdin } from '../commands/small-file.js';
import type { Transport } from './types.js';

/** Errors with the errno names the rest of fab checks (e.code === 'ENOENT'), as SFTP errors get in ssh.ts. */
function fileError(path: string, message: string, code: string): Error {
  return Object.assign(new Error(`${path}: ${message}`), { code });
}

const MESSAGE: Record<string, string> = {
  ENOENT: 'No such file',
  EISDIR: 'Is a directory',
  EACCES: 'Permission denied',
};

/** Runs `command` with `stdin`, collecting stdout; resolves with it, the exit code and stderr. */
async function collect(
  exec: Transport['exec'],
  command: string,
  stdin?: Buffer,
): Promise<{ out: Buffer; err: string; code: number | null }> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const p = await exec(command, { onStdout: (d) => out.push(d), onStderr: (d) => err.push(d) });
  if (stdin) p.write(stdin);
  p.end();
  const { code } = await p.done;
  return { out: Buffer.concat(out), err: Buffer.concat(err).toString('utf8').trim(), code };
}

/** readFile over one exec channel (`cat`). */
export async function execReadFile(exec: Transport['exec'], path: string): Promise<Buffer> {
  const r = await collect(exec, catFile(path).text);
  if (r.code === 0) return r.out;
  const code = CAT_EXIT[r.code as keyof typeof CAT_EXIT] ?? 'EIO';
  throw fileError(path, MESSAGE[code] ?? (r.err || `exit ${r.code}`), code);
}

/** writeFile over one exec channel (`cat >`, the content on stdin). */
export async function execWriteFile(
  exec: Transport['exec'],
  path: string,
  data: string | Buffer,
  mode?: number,
): Promise<void> {
  const r = await collect(exec, writeStdin(path, mode).text, Buffer.from(data));
  if (r.code === 0) return;
  const code = /Permission denied/.test(r.err) ? 'EACCES' : /No such file/.test(r.err) ? 'ENOENT' : 'EIO';
  throw fileError(path, r.err || `exit ${r.code}`, code);
}

/**
 * A small single-file put over one exec channel (`putStdin`): written, size-checked and chmodded on the host in
 * one round trip. Resolves with the path written (`remote`, or `remote/<intoDir>` when it is a directory).
 */
export async function execPutFile(
  exec: Transport['exec'],
  data: Buffer,
  remote: string,
  opts: { mode?: number; intoDir?: string } = {},
): Promise<string> {
  const r = await collect(exec, putStdin(remote, data.length, opts.mode, opts.intoDir).text, data);
  if (r.code === 0) return r.out.toString('utf8');
  const code =
    r.code === PUT_SHORT
      ? 'EIO'
      : /Permission denied/.test(r.err)
        ? 'EACCES'
        : /No such file|nonexistent/.test(r.err)
          ? 'ENOENT'
          : 'EIO';
  throw fileError(remote, r.err || `exit ${r.code}`, code);
}
