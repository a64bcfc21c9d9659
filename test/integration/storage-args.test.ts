// Device arguments that are wrong on their face are usage errors before any connection: the host here
// (port 1 on loopback) would fail to connect with exit 1, so exit 2 proves nothing was attempted.
import { describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';

const NOWHERE = ['-H', 'fabts@127.0.0.1:1'];

describe('stripe/unstripe device arguments', () => {
  it.each([
    [['stripe', 'vdb,/dev/vdc'], '"vdb" is not a device path (write /dev/vdb)'],
    [['stripe', '/dev/vdb,/dev/vdc,/dev/vdb', '--mount', '/data'], '/dev/vdb given twice'],
    [['stripe:devices=/dev/vdb;/dev/../sda'], '"/dev/../sda" is not a valid device path'],
    [['unstripe', '/dev/vdb,vdc', '--force'], '"vdc" is not a device path (write /dev/vdc)'],
  ])('%j: exit 2 naming the argument, no connection', async (args, message) => {
    const r = await fab([...NOWHERE, ...args]);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr).toContain(`argument --devices: ${message}`);
    expect(r.stderr + r.stdout).not.toMatch(/connect|ECONNREFUSED/i);
  });

  it('a relative mount point is a usage error (checked in the task, before its first command, so no connection)', async () => {
    const r = await fab([...NOWHERE, 'stripe', '/dev/vdb,/dev/vdc', '--mount', 'data']);
    expect(r.code, r.stderr).toBe(2);
    expect(r.stderr + r.stdout).toContain('--mount "data" must be an absolute path other than /');
    expect(r.stderr + r.stdout).not.toMatch(/connect|ECONNREFUSED/i);
  });

  it('the same host with good arguments does try to connect (exit 1), so the check above is what stopped it', async () => {
    const r = await fab([...NOWHERE, '-t', '2', 'stripe', '/dev/vdb,/dev/vdc']);
    expect(r.code).toBe(1);
    expect(r.stderr + r.stdout).toMatch(/refused|connect/i);
  });
});
