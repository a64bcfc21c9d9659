import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { labSsh, testLab } from '../lab/shared.js';

const dir = mkdtempSync(join(tmpdir(), 'fab-egg-'));
/** A zipped egg as setuptools made them: the package plus EGG-INFO. */
const made = new Map<string, string>();
function egg(version: string): string {
  if (made.has(version)) return made.get(version)!;
  const file = join(dir, `fabegg-${version}-py3.11.egg`);
  const py = `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\nz.writestr('fabegg/__init__.py','__version__ = "${version}"\\n')\nz.writestr('EGG-INFO/PKG-INFO','Metadata-Version: 1.1\\nName: fabegg\\nVersion: ${version}\\n')\nz.close()\n`;
  writeFileSync(join(dir, 'mk.py'), py);
  execFileSync('python3', [join(dir, 'mk.py'), file]);
  made.set(version, file);
  return file;
}
const host = ['-H', 'web6', '--set', 'appRoot=/srv/eggapp,appRestart=true'];
const version = async () => (await labSsh(testLab(), 'web6', '/srv/eggapp/current/venv/bin/python -c "import fabegg; print(fabegg.__version__)"')).stdout.trim();

describe('egg deploys, releases and rollback --to', () => {
  it('puts the egg on the venv path with a .pth file, checks the import, switches, lists and rolls back by name', async () => {
    for (const v of ['1.0.0', '1.1.0', '1.2.0']) {
      const r = await fab(['lab', ...host, 'deployApp', '--artifact', egg(v)]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`release ${v}: unpacked, now current`);
    }
    expect(await version()).toBe('1.2.0');
    const again = await fab(['lab', ...host, 'deployApp', '--artifact', egg('1.2.0')]);
    expect(again.stdout).toContain('release 1.2.0: already there, was already current');

    const list = await fab(['lab', ...host, 'releases']);
    expect(list.stdout).toMatch(/\[web6\] 1\.0\.0\n\[web6\] 1\.1\.0 +\(previous\)\n\[web6\] 1\.2\.0 +\(current\)/);
    const to = await fab(['lab', ...host, 'rollback', '--to', '1.0.0']);
    expect(to.code).toBe(0);
    expect(await version()).toBe('1.0.0');
    expect((await fab(['lab', ...host, 'releases'])).stdout).toMatch(/1\.0\.0 +\(current\)[\s\S]*1\.2\.0 +\(previous\)/);
    const missing = await fab(['lab', ...host, 'rollback', '--to', '9.9.9']);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(/no complete release 9\.9\.9 .*releases: 1\.0\.0, 1\.1\.0, 1\.2\.0/);
    expect(await version()).toBe('1.0.0');
  });

  it('an egg whose module does not import is not switched to', async () => {
    const r = await fab(['lab', ...host, '--set', 'appEggModule=nosuchmodule', 'deployApp', '--artifact', egg('2.0.0')]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/import nosuchmodule` failed in the new release/);
    expect(await version()).toBe('1.0.0');
  });

  it('refuses an artifact type it cannot deploy before any host is drained', async () => {
    const zip = join(dir, 'app-1.0.zip');
    writeFileSync(zip, 'not deployable');
    const pools = async () => (await fab(['lab', 'lbStatus', '--hide', 'running,status'])).stdout.split('\n').filter((l) => l.startsWith('[lb'));
    const before = await pools();
    const r = await fab(['lab', '-H', 'web1,web2,web3', 'rollingDeploy', '--artifact', zip]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(/app-1\.0\.zip: fab cannot deploy this type of file; nothing deployed[\s\S]*\.egg/);
    expect(r.stdout).not.toMatch(/drain/i);
    expect(before.join('\n')).toMatch(/web1:8080 +enabled/);
    expect(await pools()).toEqual(before);
  });
});
