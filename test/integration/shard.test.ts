import { mkdtempSync, readlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, fab } from '../helpers/fab.js';
import { buildAppTarball } from '../lab/app.js';
import { labSsh, testLab } from '../lab/shared.js';
import { summarizeRun } from '../../lib/rolling/journal.js';
import { Journal } from '../../lib/rolling/journal.js';

const answered = (stdout: string) => [...stdout.matchAll(/^\[(web\d+)\] out: \1$/gm)].map((m) => m[1]!);

describe('--shard K/N on the lab', () => {
  it('three runners together cover every web host exactly once, whatever order the hosts are named in', async () => {
    const seen: string[] = [];
    for (const k of [1, 2, 3]) {
      const r = await fab(['lab', '-R', 'web', '-P', '--shard', `${k}/3`, '--', 'hostname']);
      expect(r.code).toBe(0);
      const mine = answered(r.stdout);
      expect(mine.length).toBeGreaterThanOrEqual(3);
      // The same slice when the hosts are listed backwards.
      const names = Array.from({ length: 10 }, (_, i) => `web${10 - i}`).join(',');
      const again = await fab(['lab', '-H', names, '-P', '--shard', `${k}/3`, '--', 'hostname']);
      expect(answered(again.stdout).sort()).toEqual([...mine].sort());
      seen.push(...mine);
    }
    expect(seen.sort()).toEqual(Array.from({ length: 10 }, (_, i) => `web${i + 1}`).sort());
  });

  it('runs nothing (not even locally) in a shard that has no hosts, and refuses a bad K/N with exit 2', async () => {
    const empty = await fab(['lab', '-H', 'web1', '--shard', '2/2', '--json', '--', 'hostname']);
    const other = await fab(['lab', '-H', 'web1', '--shard', '1/2', '--json', '--', 'hostname']);
    const ran = [empty, other].map((r) => r.events.filter((e) => e.type === 'command.start').length);
    expect(ran.sort()).toEqual([0, 1]);
    expect([empty, other].every((r) => r.code === 0)).toBe(true);
    const bad = await fab(['lab', '-H', 'web1', '--shard', '3/2', '--', 'true']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(/--shard 3\/2: K must be from 1 to N[\s\S]*fix: write --shard K\/N/);
  });

  it('fab runs --merge gives one report and exit code for the shards', async () => {
    const dirs = ['1/2', '2/2'].map((shard, i) => {
      const root = mkdtempSync(join(tmpdir(), 'fab-merge-'));
      const j = Journal.create(root, `r${i}`);
      const host = `web${i + 1}`;
      j.append({
        kind: 'start',
        id: `r${i}`,
        time: 'T',
        user: 'ci',
        task: 'rollingDeploy',
        argv: ['lab', 'rollingDeploy', '--shard', shard],
        hosts: [host],
        batches: [[host]],
        cwd: root,
      });
      j.append({ kind: 'step', time: 'T', host, state: i ? 'failed' : 'done', ...(i ? { detail: 'boom' } : {}) });
      j.append({ kind: 'end', time: 'T', outcome: i ? 'halted' : 'complete' });
      return root;
    });
    const r = await fab(['runs', '--merge', ...dirs]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('  web2  failed: boom  (run r1)');
    const ok = await fab(['runs', '--merge', dirs[0]!]);
    expect(ok.stdout).toContain('missing shards: 2/2');
    expect(ok.code).toBe(1);
    const none = await fab(['runs', '--merge', mkdtempSync(join(tmpdir(), 'fab-none-'))]);
    expect(none.code).toBe(2);
  });

  it('rolls a release out over two shards, each draining from every LB; --merge reports the whole run', async () => {
    const web = ['web1', 'web2', 'web3']; // the hosts both LBs list
    const file = await buildAppTarball(mkdtempSync(join(tmpdir(), 'fab-shard-art-')), 'v7');
    const journals: string[] = [];
    for (const h of web) expect((await labSsh(testLab(), h, 'mkdir -p /srv/shardapp')).code).toBe(0);
    for (const k of [1, 2]) {
      const r = await fab([
        'lab',
        '-H',
        web.join(','),
        '--set',
        'appRoot=/srv/shardapp,appRestart=true',
        '--hide',
        'running,stdout,stderr',
        'rollingDeploy',
        '--artifact',
        file,
        '--shard',
        `${k}/2`,
      ]);
      expect(r.code, r.stdout + r.stderr).toBe(0);
      const id = /Rolling run (\S+?):/.exec(r.stdout)?.[1];
      journals.push(join(REPO, '.fab', 'runs', `${id}.ndjson`));
    }
    const rolled = journals.map((j) => summarizeRun(j).start!.hosts);
    expect(rolled.flat().sort()).toEqual([...web].sort());
    expect(rolled.every((h) => h.length > 0)).toBe(true);
    for (const h of web)
      expect(readlinkSync(join(testLab().hosts[h]!.root, 'srv/shardapp/current'))).toBe('releases/v7');
    const merged = await fab(['runs', '--merge', ...journals]);
    expect(merged.code).toBe(0);
    expect(merged.stdout).toMatch(
      /2 rolling runs merged[\s\S]*shard 1\/2[\s\S]*shard 2\/2[\s\S]*3 hosts: 3 done\noutcome: complete\n$/,
    );
    // Every shard put its hosts back in both load balancers.
    const lbs = (await fab(['lab', 'lbStatus', '--hide', 'running,status'])).stdout;
    for (const h of web) {
      expect(lbs).toMatch(new RegExp(`${h}:8080 +enabled`));
      expect(lbs).toMatch(new RegExp(`${h} +UP`));
    }
  });
});
