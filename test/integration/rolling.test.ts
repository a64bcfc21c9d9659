import { execFileSync, spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdtempSync, readFileSync, readlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { buildAppTarball, type AppReleaseOptions } from '../lab/app.js';
import { startLoad, type Load } from '../lab/load.js';
import { labSsh, testLab, testLabDir, testLabHandle } from '../lab/shared.js';
import { httpGet } from '../lab/webtier.js';

const WEB = ['web1', 'web2', 'web3'];
const art = mkdtempSync(join(tmpdir(), 'fab-art-'));
const build = (version: string, opts: AppReleaseOptions = {}) => buildAppTarball(art, version, opts);
// A bad release fails its gate after 5 s instead of the default 30 s.
const roll = (args: string[], opts?: Parameters<typeof fab>[1]) =>
  fab(
    [
      'lab',
      '-H',
      WEB.join(','),
      '--set',
      'appHealthTimeout=5',
      '--hide',
      'running,stdout,stderr',
      'rollingDeploy',
      ...args,
    ],
    opts,
  );
const current = (h: string) => readlinkSync(join(testLab().hosts[h]!.root, 'srv/app/current'));
const answer = async (h: string) => (await httpGet(testLab().hosts[h]!.appUrl!)).body.trim();
const runId = (stdout: string) => /Rolling run (\S+?)(?: \(resumed\))?:/.exec(stdout)?.[1] ?? '';
const lbState = async () => (await fab(['lab', 'lbStatus', '--hide', 'running,status'])).stdout;

let loads: Load[] = [];
const startLoads = () =>
  (loads = [
    startLoad(testLab().lb!.nginx.url, { concurrency: 3, intervalMs: 5 }),
    startLoad(testLab().lb!.haproxy.url, { concurrency: 3, intervalMs: 5 }),
  ]);
async function stopLoads(): Promise<void> {
  for (const l of loads) {
    const c = await l.stop();
    expect(c.errors).toEqual([]);
    expect(c.failed).toBe(0);
    expect(c.total).toBeGreaterThan(50);
  }
  loads = [];
}

async function restoreLbs(): Promise<void> {
  for (const h of WEB) await fab(['lab', 'enableLb', h]);
}

beforeAll(restoreLbs);
afterAll(restoreLbs);

// Several tests run two deploys (52-55 s measured at load 10-12): 60 s would leave no margin on a loaded machine.
describe('rollingDeploy on the lab (nginx + HAProxy in front of web1..web3)', { timeout: 150_000 }, () => {
  it('rolls v2 out host by host with zero failed requests through both LBs', async () => {
    const file = await build('v2');
    startLoads();
    const r = await roll(['--artifact', file]);
    await stopLoads();
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rolling run \S+: complete/);
    for (const h of WEB) {
      expect(current(h)).toBe('releases/v2');
      expect(await answer(h)).toBe(`${h} v2`);
    }
    expect(r.stdout).toMatch(/web1 +done +release v2/);
    // Idempotent: the same release again unpacks and restarts nothing.
    const again = await fab(['lab', '-H', 'web1', 'deployApp', '--artifact', file]);
    expect(again.stdout).toContain('release v2: already there, was already current');
  });

  it('halts when the second host fails its health gate: it stays drained, the third is untouched; resume finishes after a fix', async () => {
    const bad = await build('v3', { badOn: ['web2'] });
    startLoads();
    const r = await roll(['--artifact', bad]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/Rolling run \S+: halted/);
    expect(r.stdout).toMatch(/web2 +failed at gates +release v3; still out of the load balancer; .*answered 500/);
    expect(r.stdout).toMatch(/web3 +untouched/);
    expect(current('web1')).toBe('releases/v3');
    expect(current('web3')).toBe('releases/v2');
    const lbs = await lbState();
    expect(lbs).toMatch(/web2:8080 +disabled/);
    expect(lbs).toMatch(/web2 +MAINT/);
    // The LBs keep serving from the others.
    for (const l of loads) await l.waitRequests(60);
    const id = runId(r.stdout);
    expect(r.stdout).toContain(`continue with: fab resume ${id}`);

    await build('v3'); // the fixed artifact, same path and version
    const resumed = await fab(['resume', id, '--hide', 'running']);
    await stopLoads();
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/already done: web1/);
    expect(resumed.stdout).toMatch(/Rolling run \S+ \(resumed\)|complete/);
    for (const h of WEB) expect(await answer(h)).toBe(`${h} v3`);
    expect(await lbState()).not.toMatch(/disabled|MAINT/);
    expect((await fab(['runs'])).stdout).toMatch(new RegExp(`${id} .* complete`));
  });

  it("runs the operator's test battery as a local gate, with the host's name in its environment", async () => {
    const battery = 'test "$FAB_HOST" != web1 || { echo "web1 looks wrong" >&2; exit 1; }';
    const r = await fab([
      'lab',
      '-H',
      WEB.join(','),
      '--set',
      'appTestTimeout=2',
      '--set',
      `appTestCommand=${battery}`,
      '--hide',
      'running,stdout,stderr',
      'rollingDeploy',
      '--artifact',
      await build('v3b'),
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/web1 +failed at gates .*gate "local test .*last failure: exit 1: web1 looks wrong/);
    expect(r.stdout).toMatch(/web2 +untouched/);
    await fab(['lab', 'enableLb', 'web1']);
    expect((await roll(['--artifact', await build('v3')])).code).toBe(0);
  });

  it('refuses an artifact whose checksum does not match, before touching any host', async () => {
    const file = await build('v4');
    writeFileSync(`${file}.sha256`, `${'0'.repeat(64)}  app-v4.tgz\n`);
    const r = await roll(['--artifact', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /checksum mismatch: expected 0{64} \(from app-v4\.tgz\.sha256\), the file has [0-9a-f]{64}; nothing deployed/,
    );
    expect(r.stdout).not.toMatch(/draining/);
    for (const h of WEB) expect(current(h)).toBe('releases/v3');
  });

  it('refuses a second rolling deploy while one holds the lock, and --break-lock takes a dead one', async () => {
    const file = await build('v5');
    // The first run waits 3 s between batches, holding the lock; the second starts meanwhile.
    let locked!: () => void;
    const holding = new Promise<void>((res) => (locked = res));
    const slow = roll(['--artifact', file, '--pause', '3s'], { onStdout: (out) => /Batch 1/.test(out) && locked() });
    await holding;
    const blocked = await roll(['--artifact', file]);
    expect(blocked.code).toBe(1);
    expect(blocked.stdout).toMatch(/deploy lock \/srv\/app\/\.fab-deploy\.lock is held: run=\S+ user=\S+ time=/);
    expect((await slow).code).toBe(0);
    // A lock left by a dead run:
    await labSsh(
      testLab(),
      'web1',
      "mkdir /srv/app/.fab-deploy.lock && echo 'run=dead user=x@y time=t' > /srv/app/.fab-deploy.lock/holder",
    );
    const stale = await roll(['--artifact', file]);
    expect(stale.code).toBe(1);
    expect(stale.stdout).toContain('is held: run=dead user=x@y time=t');
    const broken = await roll(['--artifact', file, '--break-lock']);
    expect(broken.code).toBe(0);
    expect(broken.stdout).toMatch(/Warning: breaking the deploy lock .* held by: run=dead/);
    expect(existsSync(join(testLab().hosts.web1!.root, 'srv/app/.fab-deploy.lock'))).toBe(false);
  });

  it('on Ctrl-C finishes the host in progress through undrain, stops, and resumes from the journal', async () => {
    const file = await build('v6');
    let sent = false;
    const r = await roll(['--artifact', file], {
      onStdout: (out, kill) => {
        if (!sent && /\[web2\] deploying/.test(out)) {
          sent = true;
          kill('SIGINT');
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(130);
    expect(r.stdout).toMatch(/Rolling run \S+: interrupted/);
    expect(r.stdout).toMatch(/web2 +done +release v6/);
    expect(r.stdout).toMatch(/web3 +untouched/);
    expect(await lbState()).not.toMatch(/disabled|MAINT/);
    const id = runId(r.stdout);
    // A crash can tear the last journal line: it is detected and ignored.
    appendFileSync(join(process.cwd(), '.fab/runs', `${id}.ndjson`), '{"kind":"step","host":"web3","sta');
    expect((await fab(['runs'])).stdout).toMatch(new RegExp(`${id} .* interrupted \\(1 torn line ignored\\)`));
    const resumed = await fab(['resume', id, '--hide', 'running']);
    expect(resumed.code).toBe(0);
    expect(resumed.stdout).toMatch(/already done: web1 web2/);
    expect(current('web3')).toBe('releases/v6');
  });

  it('a second Ctrl-C stops at once; the host in progress restarts from its drain on resume', async () => {
    // Only web1, which is gating at the second Ctrl-C, starts slowly: the resume deploys web2 and web3 too, and a
    // 4 s start under the 5 s gate left them 0.1-0.5 s on a loaded machine (a full suite once ran out of it).
    const file = await build('v7', { startDelayMs: 4000, startDelayOn: ['web1'] });
    let sent = 0;
    let secondAt = 0;
    const r = await roll(['--artifact', file], {
      onStdout: (out, kill) => {
        if (sent === 0 && /\[web1\] gating/.test(out)) {
          sent = 1;
          kill('SIGINT');
          setTimeout(() => ((secondAt = Date.now()), kill('SIGINT')), 300);
        }
      },
    });
    expect(r.code).toBe(130);
    // Measured from the second Ctrl-C, not from start-up (which a loaded machine stretches): fab exits well
    // before the app's 4 s start delay would have let the gate pass.
    expect(secondAt).toBeGreaterThan(0);
    expect(Date.now() - secondAt).toBeLessThan(3000);
    expect(r.stdout).toMatch(/web1 +failed at gates/);
    const id = runId(r.stdout);
    const resumed = await fab(['resume', id, '--hide', 'running']);
    expect(resumed.code, resumed.stdout + resumed.stderr).toBe(0);
    expect(resumed.stdout).toMatch(/\[web1\] draining/);
    for (const h of WEB) expect(await answer(h)).toBe(`${h} v7`);
  });

  it('when sshd dies on a host mid-run, that host fails and the others follow the threshold', async () => {
    const file = await build('v8');
    const lab = testLabHandle();
    let killed = false;
    let restarted = false;
    try {
      const r = await roll(['--artifact', file, '--max-failures', '1'], {
        onStdout: (out) => {
          if (!killed && /\[web2\] deploying/.test(out)) {
            killed = true;
            void lab.stopHost('web2');
          }
        },
      });
      expect(killed).toBe(true);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/web2 +failed at action +.*(lost the connection|cannot connect)/);
      expect(r.stdout).toMatch(/web3 +done +release v8/);
      expect(r.stdout).toMatch(/Rolling run \S+: complete/);
      await lab.startHost('web2');
      restarted = true;
      // The run could not release its lock on the dead host: the next deploy must be told.
      const held = await roll(['--artifact', file]);
      expect(held.stdout).toMatch(/\[web2\] deploy lock .* is held: run=/);
    } finally {
      if (!restarted) await lab.startHost('web2');
      await labSsh(testLab(), 'web2', 'rm -rf /srv/app/.fab-deploy.lock');
    }
    await fab(['lab', '-H', 'web2', 'deployApp', '--artifact', file]);
  });

  it('rolls a failed host back with --on-failure rollback, keeps it drained and halts', async () => {
    const bad = await build('v9', { bad: true });
    const r = await roll(['--artifact', bad, '--on-failure', 'rollback']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/web1 +failed at gates .*rolled back; gates pass on the previous release; still drained/);
    expect(await answer('web1')).toBe('web1 v8');
    expect(current('web2')).toBe('releases/v8');
  });
});

describe('progress on a terminal', () => {
  it('shows a live table of hosts that is redrawn in place, then the report', async () => {
    const file = await build('v10');
    const line = [
      'node',
      `${process.cwd()}/bin/fab.js`,
      'lab',
      '-H',
      WEB.join(','),
      '--hide',
      'running',
      'rollingDeploy',
      '--artifact',
      file,
    ].join(' ');
    const r = spawnSync('script', ['-qec', line, '/dev/null'], {
      encoding: 'utf8',
      env: { ...process.env, FAB_LAB_DIR: testLabDir() },
      timeout: 60_000,
    });
    expect(r.status).toBe(0);
    // The table (title + 3 hosts) is erased and redrawn: "up 4 lines, erase below".
    expect(r.stdout).toContain('\x1b[4F\x1b[J');
    expect(r.stdout).toMatch(/ {2}web2 +gating +\d+\.\ds/);
    expect(r.stdout).toMatch(/Rolling run \S+: .*complete/);
  });
});

describe('Python wheel deploys', () => {
  it('installs a wheel with pip --no-index into a venv in the release, idempotently, and rolls back', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-wheel-'));
    const wheel = (version: string) => {
      const file = join(dir, `fabdemo-${version}-py3-none-any.whl`);
      const py = `import zipfile,sys\nz=zipfile.ZipFile(sys.argv[1],'w')\nz.writestr('fabdemo/__init__.py','__version__ = "${version}"\\n')\nz.writestr('fabdemo-${version}.dist-info/METADATA','Metadata-Version: 2.1\\nName: fabdemo\\nVersion: ${version}\\n')\nz.writestr('fabdemo-${version}.dist-info/WHEEL','Wheel-Version: 1.0\\nGenerator: test\\nRoot-Is-Purelib: true\\nTag: py3-none-any\\n')\nz.writestr('fabdemo-${version}.dist-info/RECORD','')\nz.close()\n`;
      writeFileSync(join(dir, 'mk.py'), py);
      execFileSync('python3', [join(dir, 'mk.py'), file]);
      return file;
    };
    const host = ['-H', 'web5', '--set', 'appRoot=/srv/pyapp,appRestart=true'];
    const v1 = await fab(['lab', ...host, 'deployApp', '--artifact', wheel('1.0.0')]);
    expect(v1.code).toBe(0);
    const w2 = wheel('1.1.0');
    const v2 = await fab(['lab', ...host, 'deployApp', '--artifact', w2]);
    expect(v2.stdout).toContain('release 1.1.0: unpacked, now current');
    const py = async () =>
      (
        await labSsh(
          testLab(),
          'web5',
          '/srv/pyapp/current/venv/bin/python -c "import fabdemo; print(fabdemo.__version__)"',
        )
      ).stdout.trim();
    expect(await py()).toBe('1.1.0');
    const again = await fab(['lab', ...host, 'deployApp', '--artifact', w2]);
    expect(again.stdout).toContain('release 1.1.0: already there, was already current');
    await fab(['lab', ...host, 'rollback']);
    expect(await py()).toBe('1.0.0');
    expect(readFileSync(join(testLab().hosts.web5!.root, 'srv/pyapp/releases/1.1.0/.fab-release'), 'utf8')).toMatch(
      /^[0-9a-f]{64}\n$/,
    );
    // Three venvs with pip: about 20 s on an idle machine, over a minute on a loaded one; a budget, not a goal.
  }, 240_000);
});
