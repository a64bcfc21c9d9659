import { describe, expect, it } from 'vitest';
import * as art from '../../lib/commands/artifact.js';
import type { ShellCommand } from '../../lib/commands/quote.js';

const REL = '/srv/app/releases/1.4.0';
const UP = '/srv/app/releases/.upload-1.4.0-00ff/myapp-1.4.0.tgz';

// Input -> the exact command line sent to the host.
const GOLDEN: [string, ShellCommand, string][] = [
  [
    'download',
    art.download('https://ci.example/app 1.4.0.tgz?x=$(id)', UP),
    `if command -v curl >/dev/null; then curl -fsSL -o ${UP} -- 'https://ci.example/app 1.4.0.tgz?x=$(id)';` +
      ` elif command -v wget >/dev/null; then wget -q -O ${UP} -- 'https://ci.example/app 1.4.0.tgz?x=$(id)';` +
      ` else echo 'neither curl nor wget on this host' >&2; exit 127; fi`,
  ],
  ['sha256sum', art.sha256sum('/tmp/a b.tgz'), `sha256sum -- '/tmp/a b.tgz'`],
  ['unpackTarball', art.unpackTarball(UP, `${REL}/.build`), `tar -xzf ${UP} -C ${REL}/.build`],
  ['makeVenv', art.makeVenv('python3.11', REL), `python3.11 -m venv -- ${REL}/venv`],
  [
    'pipInstallWheel',
    art.pipInstallWheel(REL, '/u/myapp-1.4.0-py3-none-any.whl'),
    `${REL}/venv/bin/pip install --quiet --no-index --disable-pip-version-check -- /u/myapp-1.4.0-py3-none-any.whl`,
  ],
  [
    'makeEggVenv',
    art.makeEggVenv('python3', REL, '/u/my app.egg', 'myapp-1.4.0-py3.11.egg'),
    `python3 -m venv --without-pip -- ${REL}/venv && mkdir -- ${REL}/eggs && cp -- '/u/my app.egg' ${REL}/eggs/myapp-1.4.0-py3.11.egg`,
  ],
  [
    'purelibOf',
    art.purelibOf(art.venvPython(REL)),
    `${REL}/venv/bin/python -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])'`,
  ],
  [
    'writeEggPth',
    art.writeEggPth('/v/lib/python3.11/site-packages', `${REL}/eggs/a.egg`),
    `printf '%s\n' ${REL}/eggs/a.egg > /v/lib/python3.11/site-packages/fabts-egg.pth`,
  ],
  ['importCheck', art.importCheck('/v/bin/python', 'myapp'), `/v/bin/python -c 'import myapp'`],
];

describe('artifact command builders', () => {
  it.each(GOLDEN)('%s', (_name, cmd, expected) => {
    expect(cmd.text).toBe(expected);
    expect(cmd.display).toBe(expected);
  });

  it('reads the digest of a sha256sum line', () => {
    expect(art.parseSha256sum(`${'e3b0'.repeat(16)}  /tmp/x.tgz\n`)).toBe('e3b0'.repeat(16));
    expect(art.parseSha256sum('')).toBe('');
  });
});
