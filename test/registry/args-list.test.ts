import { describe, expect, it } from 'vitest';
import { describeText } from '../../lib/cli/help.js';
import { UsageError } from '../../lib/errors.js';
import { arg } from '../../lib/model/args.js';
import { bindArgs, task } from '../../lib/task/task.js';
import { parseTaskWord } from '../../lib/cli/fabric-grammar.js';

const stripe = task(
  { args: { devices: arg.list({ description: 'block devices' }), tags: arg.list({ default: ['a'] }) } },
  async () => {},
);
stripe.name = 'stripe';
stripe.shortName = 'stripe';
stripe.file = '/x/fabfiles/storage.ts';

describe('list arguments', () => {
  it('splits a positional word on commas', () => {
    expect(bindArgs(stripe, { positional: ['/dev/vdb,/dev/vdc,/dev/vdd'], named: {} })).toEqual({
      devices: ['/dev/vdb', '/dev/vdc', '/dev/vdd'],
      tags: ['a'],
    });
  });

  it('splits task:name=a;b on semicolons (commas separate arguments there)', () => {
    const w = parseTaskWord('stripe:devices=/dev/vdb;/dev/vdc');
    expect(bindArgs(stripe, { positional: w.positional, named: w.named }).devices).toEqual(['/dev/vdb', '/dev/vdc']);
  });

  it('refuses empty items and bare flags with the argument named', () => {
    expect(() => bindArgs(stripe, { positional: ['/dev/vdb,,/dev/vdc'], named: {} })).toThrow(UsageError);
    expect(() => bindArgs(stripe, { positional: ['/dev/vdb,,/dev/vdc'], named: {} })).toThrow(
      /--devices: expected a list/,
    );
    expect(() => bindArgs(stripe, { positional: [], named: { devices: true } })).toThrow(/--devices/);
  });

  it('is shown as a list in fab -d', () => {
    const text = describeText(stripe, '/x');
    expect(text).toContain('--devices <a,b,...> (required)  block devices');
    expect(text).toContain('--tags <a,b,...> (default: ["a"])');
  });
});
