import { describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { arg } from '../../lib/model/args.js';
import { bindArgs, task } from '../../lib/task/task.js';

const deploy = task(
  {
    args: {
      version: arg.string({ description: 'release' }),
      count: arg.number({ default: 2 }),
      force: arg.boolean({ default: false }),
      mode: arg.choice(['fast', 'safe'] as const, { default: 'safe' }),
      note: arg.string().optional(),
    },
  },
  async () => {},
);
deploy.name = 'deploy';

describe('typed task arguments', () => {
  it('parses positional and named strings into types, with defaults', () => {
    expect(bindArgs(deploy, { positional: ['1.2.3', '5'], named: { force: 'false', mode: 'fast' } })).toEqual({
      version: '1.2.3',
      count: 5,
      force: false,
      mode: 'fast',
      note: undefined,
    });
  });

  it('reads Fabric-style false as false, not as a truthy string', () => {
    expect(bindArgs(deploy, { positional: ['1'], named: { force: 'False' } }).force).toBe(false);
    expect(bindArgs(deploy, { positional: ['1'], named: { force: true } }).force).toBe(true);
  });

  it.each([
    [{ positional: [], named: {} }, /missing argument --version/],
    [{ positional: ['1', 'x'], named: {} }, /--count: expected a number, got "x"/],
    [{ positional: ['1'], named: { force: 'maybe' } }, /--force: expected a boolean/],
    [{ positional: ['1'], named: { mode: 'turbo' } }, /--mode: expected one of fast, safe/],
    [{ positional: ['1'], named: { colour: 'red' } }, /unknown argument --colour/],
    [{ positional: ['1', '2', 'true', 'fast', 'n', 'extra'], named: {} }, /too many arguments/],
    [{ positional: ['1'], named: { version: '2' } }, /given twice/],
  ])('refuses %j', (raw, message) => {
    expect(() => bindArgs(deploy, raw)).toThrow(UsageError);
    expect(() => bindArgs(deploy, raw)).toThrow(message);
  });

  it('passes hostile strings through untouched', () => {
    const v = `a'b"c $(rm -rf /) \`id\`\nnext`;
    expect(bindArgs(deploy, { positional: [v], named: {} }).version).toBe(v);
  });
});
