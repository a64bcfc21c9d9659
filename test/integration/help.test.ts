import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { testLab } from '../lab/shared.js';

const lb = () => testLab().lb!;
const nginxConf = () => join(testLab().hosts[lb().nginx.host]!.root, lb().nginx.conf);
const haproxyConf = () => join(testLab().hosts[lb().haproxy.host]!.root, lb().haproxy.conf);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

describe('-h/--help anywhere shows help and changes nothing', () => {
  it.each([
    ['lab', 'disableLb', 'web1', '--help'],
    ['lab', 'disableLb', '-h'],
    ['lab', 'disableLb', 'web1', '--force', '-h'],
    ['lab', '-h', 'disableLb', 'web1'],
    ['lab', 'disableLb:web1', '-Ph'],
    ['--help', 'lab', 'disableLb', 'web1'],
  ])('fab %s %s %s %s', async (...argv) => {
    const before = [sha(nginxConf()), sha(haproxyConf())];
    const r = await fab(argv);
    expect(r.code).toBe(0);
    if (argv[0] !== '--help') {
      expect(r.stdout).toMatch(/^lb\.disableLb \(fabfiles\/lb\.ts\)/);
      expect(r.stdout).toContain('--backend <string> (required)');
    }
    expect(r.stdout).not.toMatch(/disabled on/);
    expect([sha(nginxConf()), sha(haproxyConf())]).toEqual(before);
  });

  it('after a host set: its hosts, roles and the tasks that apply', async () => {
    const r = await fab(['lab', '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^host set lab \(hosts\/lab\.ts\)/);
    expect(r.stdout).toMatch(/ {4}lb1 +\w+@127\.\S+:\d+ +roles: lb/);
    expect(r.stdout).toMatch(/ {4}web: web1, web2/);
    expect(r.stdout).toMatch(/ {4}lb\.disableLb +Take a backend out/);
    const prod = await fab(['prod', '-h']);
    expect(prod.stdout).toMatch(/nginx1 +deploy@nginx1 +roles: lb/);
  });

  it('a help flag after -- belongs to the shell command', async () => {
    const r = await fab(['lab', '-H', 'web1', '--', 'echo', '-h']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/\[web1\] out: -h/);
  });
});
