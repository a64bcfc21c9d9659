import { describe, expect, it } from 'vitest';
import { selectHosts, type SelectionInput } from '../../lib/exec/select.js';
import { targetsOf } from '../../lib/model/hostset.js';

const pool = targetsOf('prod', {
  hosts: {
    nginx1: { roles: ['lb'] },
    nginx2: { roles: ['lb'] },
    web1: {},
    web2: {},
    web10: {},
    db1: { roles: ['db'] },
  },
  roles: { web: ['web1', 'web2', 'web10'] },
});
const sel = (extra: Partial<SelectionInput>) =>
  selectHosts({ pool, haveSet: true, global: { hosts: [], roles: [], exclude: [] }, ...extra }).map((t) => t.name);

describe('host selection', () => {
  it('takes the whole set by default, roles from both places', () => {
    expect(sel({})).toEqual(['nginx1', 'nginx2', 'web1', 'web2', 'web10', 'db1']);
    expect(sel({ global: { hosts: [], roles: ['web'], exclude: [] } })).toEqual(['web1', 'web2', 'web10']);
    expect(sel({ global: { hosts: [], roles: ['lb'], exclude: [] } })).toEqual(['nginx1', 'nginx2']);
  });

  it('matches globs and excludes exact names', () => {
    expect(sel({ global: { hosts: ['web*'], roles: [], exclude: ['web10'] } })).toEqual(['web1', 'web2']);
  });

  it("uses the task's roles, narrowed by -H", () => {
    expect(sel({ declared: { roles: ['lb'] } })).toEqual(['nginx1', 'nginx2']);
    expect(sel({ declared: { roles: ['lb'] }, global: { hosts: ['nginx2'], roles: [], exclude: [] } })).toEqual([
      'nginx2',
    ]);
    expect(() =>
      sel({ declared: { roles: ['lb'] }, global: { hosts: ['web1'], roles: [], exclude: [] }, taskName: 'disableLb' }),
    ).toThrow(/no host left \(task disableLb\)/);
  });

  it('lets per-task hosts= override everything', () => {
    expect(
      sel({
        declared: { roles: ['lb'] },
        global: { hosts: ['nginx1'], roles: [], exclude: [] },
        perTask: { hosts: ['db1'] },
      }),
    ).toEqual(['db1']);
  });

  it('names unknown hosts and roles with a suggestion', () => {
    expect(() => sel({ global: { hosts: ['web3'], roles: [], exclude: [] } })).toThrow(
      /unknown host "web3"[\s\S]*did you mean/,
    );
    expect(() => sel({ global: { hosts: [], roles: ['wbe'], exclude: [] } })).toThrow(
      /unknown role "wbe"[\s\S]*did you mean "web"/,
    );
    expect(() => sel({ global: { hosts: ['zz*'], roles: [], exclude: [] } })).toThrow(/no host matches "zz\*"/);
  });

  it('treats -H names as raw hosts when no host set is named', () => {
    const hosts = selectHosts({
      pool: [],
      haveSet: false,
      global: { hosts: ['deploy@db9:2222'], roles: [], exclude: [] },
    });
    expect(hosts[0]).toMatchObject({ name: 'deploy@db9:2222', address: 'db9', user: 'deploy', port: 2222 });
    expect(() => selectHosts({ pool: [], haveSet: false, global: { hosts: [], roles: ['web'], exclude: [] } })).toThrow(
      /no host set selected/,
    );
  });
});
