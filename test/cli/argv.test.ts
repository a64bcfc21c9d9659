import { describe, expect, it } from 'vitest';
import { parseArgv, preScan, type ParseContext, type TaskInfo } from '../../lib/cli/argv.js';
import { UsageError } from '../../lib/errors.js';

const TASKS: Record<string, TaskInfo> = {
  disableLb: {
    name: 'nginx.disableLb',
    args: [
      { name: 'backend', boolean: false, required: true },
      { name: 'force', boolean: true, required: false },
    ],
  },
  enableLb: { name: 'nginx.enableLb', args: [{ name: 'backend', boolean: false, required: true }] },
  deploy: {
    name: 'deploy.deploy',
    args: [
      { name: 'version', boolean: false, required: true },
      { name: 'dryRun', boolean: true, required: false },
    ],
  },
  uptime: { name: 'uptime', args: [] },
};
const ctx: ParseContext = {
  isHostSet: (w) => ['prod', 'test', 'lab'].includes(w),
  findTask: (n) => TASKS[n] ?? Object.values(TASKS).find((t) => t.name === n),
  names: () => [...Object.keys(TASKS), 'prod', 'test', 'lab'],
};
const parse = (line: string[]) => parseArgv(line, ctx);

describe('fab argv', () => {
  it('reads host set, task and positional argument', () => {
    const inv = parse(['prod', 'disableLb', 'web1']);
    expect(inv.hostSets).toEqual(['prod']);
    expect(inv.tasks).toEqual([{ name: 'nginx.disableLb', positional: ['web1'], named: {} }]);
  });

  it('runs several Fabric-style tasks in order', () => {
    const inv = parse(['prod', 'disableLb:web1', 'enableLb:web2']);
    expect(inv.tasks.map((t) => [t.name, t.positional])).toEqual([
      ['nginx.disableLb', ['web1']],
      ['nginx.enableLb', ['web2']],
    ]);
  });

  it('gives --version to a task that declares it, and parses fab options after it', () => {
    const inv = parse(['prod', 'deploy', '--version', '1.2.3', '-P', '-z', '10']);
    expect(inv.tasks[0]!.named).toEqual({ version: '1.2.3' });
    expect(inv.options.parallel).toBe(true);
    expect(inv.options.poolSize).toBe(10);
    expect(preScan(['--version']).version).toBe(true);
    expect(preScan(['prod', 'deploy', '--version', '1']).version).toBe(false);
  });

  it('reads boolean task flags, --no-flag and kebab-case names', () => {
    expect(parse(['disableLb', 'web1', '--force']).tasks[0]!.named).toEqual({ force: true });
    expect(parse(['disableLb', 'web1', '--no-force']).tasks[0]!.named).toEqual({ force: false });
    expect(parse(['deploy', '--version=2', '--dry-run']).tasks[0]!.named).toEqual({ version: '2', dryRun: true });
  });

  it('takes a word as the next task once the current one has its required args', () => {
    const inv = parse(['disableLb', 'web1', 'enableLb', 'web2']);
    expect(inv.tasks.map((t) => t.positional)).toEqual([['web1'], ['web2']]);
    // A value that happens to be a task name still fills a missing required arg.
    expect(parse(['disableLb', 'uptime']).tasks).toHaveLength(1);
  });

  it('keeps the remainder after -- as the ad-hoc command', () => {
    const inv = parse(['-H', 'web1,web2', '--', 'echo', "it's", '$(x)']);
    expect(inv.options.hosts).toEqual(['web1', 'web2']);
    expect(inv.command).toBe("echo it's $(x)");
  });

  it('reads bundled and attached short options and repeatable ones', () => {
    const inv = parse(['-Pwz5', '-R', 'web,lb', '-x', 'web3', '--set', 'a=1', '--set=b=2', 'uptime']);
    expect(inv.options).toMatchObject({
      parallel: true,
      warnOnly: true,
      poolSize: 5,
      roles: ['web', 'lb'],
      excludeHosts: ['web3'],
      set: ['a=1', 'b=2'],
    });
  });

  it('fails with a usage error and a suggestion for unknown words and options', () => {
    expect(() => parse(['prod', 'disabelLb', 'web1'])).toThrow(
      /unknown task or host set "disabelLb"[\s\S]*did you mean "disableLb"/,
    );
    expect(() => parse(['--paralel'])).toThrow(/unknown option --paralel[\s\S]*parallel/);
    expect(() => parse(['enableLb', 'a', 'b'])).toThrow(UsageError);
    expect(() => parse(['-z'])).toThrow(/needs a value/);
    expect(() => parse(['-z', 'ten', 'uptime'])).toThrow(/non-negative number/);
    expect(() => parse(['-H', 'a', '--'])).toThrow(/nothing after "--"/);
  });
});
