import { describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import type { ListJson } from '../../lib/cli/list-json.js';

describe('fab --list --json and --shortlist', () => {
  it('lists tasks with typed arguments and host sets with hosts and roles', async () => {
    const r = await fab(['--list', '--json']);
    expect(r.code).toBe(0);
    const doc = JSON.parse(r.stdout) as ListJson;
    const dis = doc.tasks.find((t) => t.name === 'lb.disableLb')!;
    expect(dis).toMatchObject({ shortName: 'disableLb', fabfile: 'fabfiles/lb.ts', roles: ['lb'] });
    expect(dis.args).toEqual([
      { name: 'backend', kind: 'string', required: true, description: 'backend name as the LB knows it (web1)' },
      {
        name: 'force',
        kind: 'boolean',
        required: false,
        default: false,
        description: 'allow emptying a pool (an outage)',
      },
    ]);
    const roll = doc.tasks.find((t) => t.name === 'deploy.rollingDeploy')!;
    expect(roll.args.find((a) => a.name === 'onFailure')).toMatchObject({
      kind: 'choice',
      choices: ['halt', 'rollback'],
      default: 'halt',
    });
    const prod = doc.hostSets.find((h) => h.name === 'prod')!;
    expect(prod.roles).toEqual(['db', 'dblb', 'lb', 'web']);
    expect(prod.hosts.map((h) => h.name)).toEqual(['nginx1', 'nginx2', 'web1', 'web2', 'web3', 'db1', 'db2', 'dblb']);
  });

  it('a host set that cannot be resolved is listed with the reason', async () => {
    const r = await fab(['--list', '--json'], { env: { FAB_LAB_DIR: '/nonexistent' } });
    const lab = (JSON.parse(r.stdout) as ListJson).hostSets.find((h) => h.name === 'lab')!;
    expect(lab.hosts).toEqual([]);
    expect(lab.error).toMatch(/the lab is not running/);
  });

  it('--shortlist prints task names, one per line', async () => {
    const r = await fab(['--shortlist']);
    expect(r.code).toBe(0);
    const names = r.stdout.trimEnd().split('\n');
    expect(names).toContain('lb.disableLb');
    expect(names.every((n) => /^[\w.]+$/.test(n))).toBe(true);
  });
});
