import { join, sh, type ShellCommand } from './quote.js';

/**
 * Getting an artifact onto a host and into a release directory (pure builders): download it on the host,
 * check its sha256, unpack a tarball, or install a wheel or an egg into a virtualenv inside the release.
 */

/** The host fetches the file itself, with whichever of curl and wget it has (exit 127: neither). */
export const download = (url: string, file: string): ShellCommand =>
  join(
    [
      sh`if command -v curl >/dev/null; then curl -fsSL -o ${file} -- ${url};`,
      sh`elif command -v wget >/dev/null; then wget -q -O ${file} -- ${url};`,
      sh`else echo 'neither curl nor wget on this host' >&2; exit 127; fi`,
    ],
    ' ',
  );

export const sha256sum = (file: string): ShellCommand => sh`sha256sum -- ${file}`;

/** The hex digest from `sha256sum`'s line (`<hex>  <file>`). */
export const parseSha256sum = (stdout: string): string => stdout.split(/\s+/)[0] ?? '';

/** A tarball's top level becomes the directory's contents. */
export const unpackTarball = (file: string, dir: string): ShellCommand => sh`tar -xzf ${file} -C ${dir}`;

/** A virtualenv at `<dir>/venv`, made with the host's `python` (the `appPython` setting). */
export const makeVenv = (python: string, dir: string): ShellCommand => sh`${python} -m venv -- ${`${dir}/venv`}`;

/** Install one wheel from the file alone: `--no-index`, so nothing is fetched from PyPI. */
export const pipInstallWheel = (dir: string, wheel: string): ShellCommand =>
  sh`${`${dir}/venv/bin/pip`} install --quiet --no-index --disable-pip-version-check -- ${wheel}`;

export const venvPython = (dir: string): string => `${dir}/venv/bin/python`;

/** A pip-less virtualenv and the egg copied into `<dir>/eggs/<egg>`. */
export const makeEggVenv = (python: string, dir: string, uploaded: string, egg: string): ShellCommand =>
  join(
    [
      sh`${python} -m venv --without-pip -- ${`${dir}/venv`}`,
      sh`mkdir -- ${`${dir}/eggs`}`,
      sh`cp -- ${uploaded} ${`${dir}/eggs/${egg}`}`,
    ],
    ' && ',
  );

/** Print the virtualenv's site-packages directory (where a .pth file is read). */
export const purelibOf = (python: string): ShellCommand =>
  sh`${python} -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'`;

/** Put the egg on the venv's path, as easy_install did: one line in a .pth file (zipimport loads it). */
export const writeEggPth = (purelib: string, eggPath: string): ShellCommand =>
  sh`printf '%s\n' ${eggPath} > ${`${purelib}/fabts-egg.pth`}`;

/** Exit 0 when the module imports with this python. */
export const importCheck = (python: string, module: string): ShellCommand => sh`${python} -c ${`import ${module}`}`;
