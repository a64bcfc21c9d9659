// Rolling runs and releases on the shared lab: batches larger than one (with a percentage), rollingDeploy
// --dry-run changing nothing anywhere, and keep-N pruning of releases that never prunes current/previous.
import { createHash } from 'node:crypto';
import { existsSync, lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { crc32 } from 'node:zlib';
import { afterAll, describe, expect, it } from 'vitest';
import { fab, REPO } from '../helpers/fab.js';
import { buildAppTarball } from '../lab/app.js';
import { labSsh, testLab } from '../lab/shared.js';

const art = mkdtempSync(join(tmpdir(), 'fab-harden-'));
const FIXTURE = `${REPO}test/fixtures/hardening`;
const root = (h: string) => testLab().hosts[h]!.root;

afterAll(async () => {
  rmSync(art, { recursive: true, force: true });
  for (const [h, dir] of [
    ['web4', 'batchapp'],
    ['web5', 'batchapp'],
    ['web6', 'batchapp'],
    ['web7', 'batchapp'],
    ['web8', 'batchapp'],
    ['web9', 'batchapp'],
    ['web10', 'keepapp'],
  ]) {
    await labSsh(testLab(), h!, `rm -rf /srv/${dir}`);
  }
});

describe('a rolling run in batches of 1, then 50%', () => {
  const HOSTS = ['web4', 'web5', 'web6', 'web7', 'web8', 'web9'];

  it('runs [web4] [web5 web6 web7] [web8 web9]: each batch together, one batch after another, journalled', async () => {
    const file = await buildAppTarball(art, '3.1.0');
    const r = await fab([
      '-f',
      `${FIXTURE}/fabfiles`,
      'lab',
      '-H',
      HOSTS.join(','),
      '--set',
      'appRoot=/srv/batchapp,appRestart=true',
      '--json',
      'rollBatches',
      '--artifact',
      file,
      '--batch',
      '1,50%',
    ]);
    expect(r.code).toBe(0);
    const want = [['web4'], ['web5', 'web6', 'web7'], ['web8', 'web9']];
    const start = r.events.find((e) => e.type === 'rolling.start');
    expect(start).toMatchObject({ batches: want });
    expect(r.events.flatMap((e) => (e.type === 'rolling.batch' ? [e.hosts] : []))).toEqual(want);
    const end = r.events.find((e) => e.type === 'rolling.end');
    expect(end).toMatchObject({ outcome: 'complete' });
    for (const h of HOSTS) expect(readlinkSync(join(root(h), 'srv/batchapp/current'))).toBe('releases/3.1.0');

    // When each host's action ran on the host (epoch ns, one clock for all lab hosts).
    const win = new Map<string, [bigint, bigint]>();
    for (const e of r.events) {
      const m = e.type === 'message' && e.host ? /^window (\d+) (\d+)$/.exec(e.text) : null;
      if (m && e.type === 'message') win.set(e.host!, [BigInt(m[1]!), BigInt(m[2]!)]);
    }
    expect([...win.keys()].sort()).toEqual(HOSTS);
    const span = (hosts: string[]) => [
      hosts.map((h) => win.get(h)![0]).reduce((a, b) => (a > b ? a : b)),
      hosts.map((h) => win.get(h)![1]).reduce((a, b) => (a < b ? a : b)),
    ];
    for (const b of want.filter((x) => x.length > 1)) {
      const [latestStart, earliestEnd] = span(b);
      expect(latestStart! < earliestEnd!).toBe(true); // all hosts of the batch were inside their action at once
    }
    for (let i = 1; i < want.length; i++) {
      const prevEnd = want[i - 1]!.map((h) => win.get(h)![1]).reduce((a, b) => (a > b ? a : b));
      const nextStart = want[i]!.map((h) => win.get(h)![0]).reduce((a, b) => (a < b ? a : b));
      expect(prevEnd < nextStart).toBe(true); // a batch starts only after the one before it finished
    }

    // The journal has the same batches, every line with a valid checksum, and every host done.
    const id = (start as { id: string }).id;
    const journal = join(FIXTURE, '.fab/runs', `${id}.ndjson`);
    try {
      const lines = readFileSync(journal, 'utf8').trim().split('\n');
      const records = lines.map((l) => {
        const sp = l.lastIndexOf(' ');
        expect(
          crc32(Buffer.from(l.slice(0, sp)))
            .toString(16)
            .padStart(8, '0'),
        ).toBe(l.slice(sp + 1));
        return JSON.parse(l.slice(0, sp)) as {
          kind: string;
          batches?: string[][];
          host?: string;
          state?: string;
          outcome?: string;
        };
      });
      expect(records[0]).toMatchObject({ kind: 'start', batches: want });
      expect(
        records
          .filter((x) => x.state === 'done')
          .map((x) => x.host)
          .sort(),
      ).toEqual(HOSTS);
      expect(records.at(-1)).toMatchObject({ kind: 'end', outcome: 'complete' });
    } finally {
      rmSync(journal, { force: true });
    }
  });
});

/** Everything of a web host's /srv/app that a deploy could touch (not shared/: the app writes its logs there). */
function appTree(h: string): string[] {
  const base = join(root(h), 'srv/app');
  const out: string[] = [];
  const walk = (rel: string) => {
    for (const name of readdirSync(join(base, rel)).sort()) {
      const p = rel ? `${rel}/${name}` : name;
      if (p === 'shared') continue;
      const st = lstatSync(join(base, p));
      if (st.isSymbolicLink()) out.push(`${p} -> ${readlinkSync(join(base, p))}`);
      else if (st.isDirectory()) (out.push(`${p}/ ${st.mtimeMs}`), walk(p));
      else out.push(`${p} ${st.size} ${st.mtimeMs}`);
    }
  };
  walk('');
  return out;
}

describe('rollingDeploy --dry-run', () => {
  it('prints the plan and changes nothing: releases, current, lock, both LB configs and their live state', async () => {
    const WEB = ['web1', 'web2', 'web3'];
    const lb = testLab().lb!;
    const conf = (kind: 'nginx' | 'haproxy') =>
      createHash('sha256')
        .update(readFileSync(join(root(lb[kind].host), lb[kind].conf)))
        .digest('hex');
    const lbStatus = async () =>
      (await fab(['lab', 'lbStatus', '--hide', 'running,status'])).stdout
        .split('\n')
        .filter((l) => l.startsWith('[lb'));
    const before = {
      trees: WEB.map(appTree),
      nginx: conf('nginx'),
      haproxy: conf('haproxy'),
      status: await lbStatus(),
    };
    expect(before.status.join('\n')).not.toMatch(/disabled|MAINT|DRAIN/);
    expect(before.status).toHaveLength(6);
    const runs = existsSync(join(REPO, '.fab/runs')) ? readdirSync(join(REPO, '.fab/runs')).length : 0;

    const r = await fab([
      'lab',
      '-H',
      WEB.join(','),
      '--dry-run',
      'rollingDeploy',
      '--artifact',
      await buildAppTarball(art, '3.9.0'),
      '--batch',
      '1,2',
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Rolling run \S+ \(dry run: nothing is changed\): batches \[web1\] \[web2 web3\]/);
    for (const h of WEB) {
      expect(r.stdout).toContain(`[${h}] would upload ${art}/app-3.9.0.tgz to /srv/app/releases/.upload-3.9.0-`);
      expect(r.stdout).toMatch(
        // The switch marks the restart pending first: a run stopped between switch and restart restarts on resume.
        new RegExp(
          `\\[${h}\\] would run: cd -- /srv/app && : > \\.fab-restart-pending && ` +
            `ln -sfn -- releases/3\\.9\\.0 \\.current\\.tmp`,
        ),
      );
      expect(r.stdout).toMatch(new RegExp(`\\[${h}\\] would wait for gate http http://[\\d.]+:8080/health`));
    }
    expect(r.stdout).toMatch(/\[lb1\] would change: \/etc\/nginx\/nginx\.conf/);
    // The drain goes with the first poll of its sessions (one command).
    expect(r.stdout).toMatch(/\[lb2\] would sudo: \(haproxy .*set server app\/web2 state drain; show stat\)/);
    expect(r.stdout).toMatch(/Rolling run \S+ \(dry run\): complete/);
    expect(r.stdout).not.toContain('fab resume');

    expect(WEB.map(appTree)).toEqual(before.trees);
    expect(conf('nginx')).toBe(before.nginx);
    expect(conf('haproxy')).toBe(before.haproxy);
    expect(await lbStatus()).toEqual(before.status);
    // No journal either: a dry run is nothing to list or resume.
    expect(existsSync(join(REPO, '.fab/runs')) ? readdirSync(join(REPO, '.fab/runs')).length : 0).toBe(runs);
  });
});

describe('keep-N pruning of releases (appKeep)', () => {
  const keep = (n: number) => [
    'lab',
    '-H',
    'web10',
    '--set',
    `appRoot=/srv/keepapp,appRestart=true,appKeep=${n}`,
    '--hide',
    'running',
  ];
  const releases = () =>
    readdirSync(join(root('web10'), 'srv/keepapp/releases'))
      .filter((d) => !d.startsWith('.'))
      .sort();
  const link = (name: string) => readlinkSync(join(root('web10'), `srv/keepapp/${name}`));
  const deploy = async (v: string, n: number) => {
    const r = await fab([...keep(n), 'deployApp', '--artifact', await buildAppTarball(art, v)]);
    expect(r.code, r.stdout + r.stderr).toBe(0);
  };

  it('after N+2 deploys exactly the last N remain; current and previous are kept even when older or over N', async () => {
    for (const v of ['4.1', '4.2', '4.3', '4.4', '4.5']) await deploy(v, 3);
    expect(releases()).toEqual(['4.3', '4.4', '4.5']);
    expect([link('current'), link('previous')]).toEqual(['releases/4.5', 'releases/4.4']);

    // previous becomes the oldest release: it survives the next prune, the next-oldest goes.
    expect((await fab([...keep(3), 'rollback', '--to', '4.3'])).code).toBe(0);
    await deploy('4.6', 3);
    expect([link('current'), link('previous')]).toEqual(['releases/4.6', 'releases/4.3']);
    expect(releases()).toEqual(['4.3', '4.5', '4.6']);

    // appKeep=1 still keeps both links' targets.
    await deploy('4.7', 1);
    expect(releases()).toEqual(['4.6', '4.7']);
    expect([link('current'), link('previous')]).toEqual(['releases/4.7', 'releases/4.6']);

    // --dry-run shows what a real deploy would prune (the links it would switch, not the ones there now).
    const dry = await fab([
      ...keep(2).slice(0, -2),
      '--dry-run',
      'deployApp',
      '--artifact',
      await buildAppTarball(art, '4.8'),
    ]);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('[web10] would run: cd -- /srv/keepapp/releases && rm -rf -- 4.6');
    expect(releases()).toEqual(['4.6', '4.7']);
  });

  it("an absolute current/previous link (older layouts, the lab's own /srv/app) is never pruned either", async () => {
    await labSsh(
      testLab(),
      'web10',
      'cd /srv/keepapp && ln -sfn /srv/keepapp/releases/4.6 current && ln -sfn /srv/keepapp/releases/4.7 previous',
    );
    await deploy('4.9', 1);
    expect([link('current'), link('previous')]).toEqual(['releases/4.9', '/srv/keepapp/releases/4.6']);
    expect(releases()).toEqual(['4.6', '4.9']);
    const list = await fab([...keep(1), 'releases']);
    expect(list.stdout).toMatch(/\[web10\] 4\.6 +\(previous\)/);
  });
});
