import { createHash } from 'node:crypto';
import { createReadStream, existsSync, readFileSync } from 'node:fs';
import { basename } from 'node:path';
import { DeployError, UsageError } from '../errors.js';

/** The artifact a deploy takes: its kind from the file name, checked on this machine before a host is touched. */
export type ArtifactKind = 'tarball' | 'wheel' | 'egg';

/** What fab can deploy, from the file name; anything else is refused before a host is touched. */
export function artifactKind(path: string): ArtifactKind {
  if (/\.(tgz|tar\.gz)$/.test(path)) return 'tarball';
  if (path.endsWith('.whl')) return 'wheel';
  if (path.endsWith('.egg')) return 'egg';
  throw new UsageError(
    `artifact ${basename(path)}: fab cannot deploy this type of file; nothing deployed`,
    'give a .tgz/.tar.gz (tarball), .whl (Python wheel) or .egg (Python egg)',
  );
}

/** The version given, or the one in the file name (`app-1.2.tgz`, `app-1.2-py3-none-any.whl`): a safe path part. */
function versionOf(name: string, given: string | undefined): string {
  const version =
    given ??
    name
      .replace(/\.(tgz|tar\.gz|whl|egg)$/, '')
      .replace(/^[A-Za-z_][\w.]*?-(?=v?\d)/, '')
      .replace(/-py\d.*$/, '');
  if (!/^[A-Za-z0-9][A-Za-z0-9._+-]*$/.test(version))
    throw new UsageError(
      `artifact ${name}: "${version}" is not a usable version`,
      'pass --version with letters, digits, . _ + -',
    );
  return version;
}

export interface Artifact {
  kind: ArtifactKind;
  /** The local file, or the URL each host downloads it from (`--artifact-url`). */
  path: string;
  url?: string;
  version: string;
  sha256: string;
}

/**
 * Check an artifact on this machine before anything touches a host: it exists, its version is a
 * safe path component, and it matches `expected` or its `<file>.sha256` sidecar when there is one.
 */
export async function inspectArtifact(
  path: string,
  opts: { version?: string; sha256?: string } = {},
): Promise<Artifact> {
  if (!existsSync(path))
    throw new UsageError(`artifact ${path}: no such file`, 'build it first, or give the right path');
  const kind = artifactKind(path);
  const name = basename(path);
  const version = versionOf(name, opts.version);
  const sha256 = await new Promise<string>((resolve, reject) => {
    const h = createHash('sha256');
    createReadStream(path)
      .on('data', (d) => h.update(d))
      .on('end', () => resolve(h.digest('hex')))
      .on('error', reject);
  });
  const sidecar = `${path}.sha256`;
  const expected =
    opts.sha256 ?? (existsSync(sidecar) ? readFileSync(sidecar, 'utf8').trim().split(/\s+/)[0] : undefined);
  if (expected && expected.toLowerCase() !== sha256) {
    throw new DeployError(
      undefined,
      'checksum',
      `artifact ${name}: checksum mismatch: expected ${expected}${opts.sha256 ? '' : ` (from ${basename(sidecar)})`}, the file has ${sha256}; nothing deployed`,
    );
  }
  return { kind, path, version, sha256 };
}

/** The artifact's file name, from its path or its URL. */
export const fileName = (a: Artifact): string => basename(a.url ? new URL(a.url).pathname : a.path);

/**
 * An artifact each host downloads (`--artifact-url URL --sha256 HEX`): the controller never has the
 * file, so the checksum is required and checked on every host before anything is unpacked.
 */
export function remoteArtifact(url: string, sha256: string | undefined, version?: string): Artifact {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError(`--artifact-url ${url}: not a URL`, 'give http://, https:// or ftp:// URL of the artifact');
  }
  if (!['http:', 'https:', 'ftp:'].includes(u.protocol))
    throw new UsageError(`--artifact-url ${url}: unsupported scheme ${u.protocol}`, 'use http://, https:// or ftp://');
  if (!sha256 || !/^[0-9a-fA-F]{64}$/.test(sha256))
    throw new UsageError(
      '--artifact-url needs --sha256 HEX (64 hex digits)',
      'each host checks the download against it; sha256sum FILE prints it',
    );
  const name = basename(u.pathname);
  const kind = artifactKind(name);
  const v = versionOf(name, version);
  return { kind, path: name, url, version: v, sha256: sha256.toLowerCase() };
}
