import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
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
const version = async () =>
  (
    await labSsh(testLab(), 'web6', '/srv/eggapp/current/venv/bin/python -c "import fabegg; print(fabegg.__version__)"')
  ).stdout.trim();

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
    expect((await fab(['lab', ...host, 'releases'])).stdout).toMatch(
      /1\.0\.0 +\(current\)[\s\S]*1\.2\.0 +\(previous\)/,
    );
    const missing = await fab(['lab', ...host, 'rollback', '--to', '9.9.9']);
    expect(missing.code).toBe(1);
    expect(missing.stdout + missing.stderr).toMatch(
      /no complete release 9\.9\.9 .*releases: 1\.0\.0, 1\.1\.0, 1\.2\.0/,
    );
    expect(await version()).toBe('1.0.0');
  });

  it('an egg whose module does not import is not switched to', async () => {
    const r = await fab([
      'lab',
      ...host,
      '--set',
      'appEggModule=nosuchmodule',
      'deployApp',
      '--artifact',
      egg('2.0.0'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout + r.stderr).toMatch(/import nosuchmodule` failed in the new release/);
    expect(await version()).toBe('1.0.0');
  });

  it('refuses an artifact type it cannot deploy before any host is drained', async () => {
    const zip = join(dir, 'app-1.0.zip');
    writeFileSync(zip, 'not deployable');
    const pools = async () =>
      (await fab(['lab', 'lbStatus', '--hide', 'running,status'])).stdout
        .split('\n')
        .filter((l) => l.startsWith('[lb'));
    const before = await pools();
    const r = await fab(['lab', '-H', 'web1,web2,web3', 'rollingDeploy', '--artifact', zip]);
    expect(r.code).toBe(2);
    expect(r.stdout + r.stderr).toMatch(
      /app-1\.0\.zip: fab cannot deploy this type of file; nothing deployed[\s\S]*\.egg/,
    );
    expect(r.stdout).not.toMatch(/drain/i);
    expect(before.join('\n')).toMatch(/web1:8080 +enabled/);
    expect(await pools()).toEqual(before);
  });
});

describe('--artifact-url: each host downloads and verifies the artifact', () => {
  it('deploys from an HTTP server, and refuses a download whose checksum does not match', async () => {
    const src = mkdtempSync(join(tmpdir(), 'fab-url-'));
    writeFileSync(join(src, 'VERSION'), '1.0.1\n');
    const tgz = join(dir, 'urlapp-1.0.1.tgz');
    execFileSync('tar', ['-czf', tgz, '-C', src, '.']);
    const body = readFileSync(tgz);
    const sum = createHash('sha256').update(body).digest('hex');
    const requests: string[] = [];
    const server = createServer((req, res) => {
      requests.push(req.url ?? '');
      if (req.url === '/urlapp-1.0.1.tgz') res.end(body);
      else res.writeHead(404).end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/urlapp-1.0.1.tgz`;
    const h = ['lab', '-H', 'web7', '--set', 'appRoot=/srv/urlapp,appRestart=true'];
    try {
      const bad = await fab([...h, 'deployApp', '--artifact-url', url, '--sha256', '0'.repeat(64)]);
      expect(bad.code).toBe(1);
      expect(bad.stdout + bad.stderr).toMatch(/download of urlapp-1\.0\.1\.tgz arrived damaged/);
      expect(existsSync(join(testLab().hosts.web7!.root, 'srv/urlapp/current'))).toBe(false);
      const noSum = await fab([...h, 'deployApp', '--artifact-url', url]);
      expect(noSum.code).toBe(2);
      expect(noSum.stdout + noSum.stderr).toContain('--artifact-url needs --sha256');
      const ok = await fab([...h, 'deployApp', '--artifact-url', url, '--sha256', sum]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('release 1.0.1: unpacked, now current');
      expect(readFileSync(join(testLab().hosts.web7!.root, 'srv/urlapp/current/VERSION'), 'utf8')).toBe('1.0.1\n');
      expect(requests.filter((r) => r === '/urlapp-1.0.1.tgz')).toHaveLength(2);
    } finally {
      server.close();
    }
  });
});
