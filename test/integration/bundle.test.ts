import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, expect, it } from 'vitest';
import { REPO } from '../helpers/fab.js';
import { testLabDir } from '../lab/shared.js';

// `npm test` builds first (pretest): dist/fab is the bundle scripts/bundle.mjs made from dist/lib.
const FAB = join(REPO, 'dist', 'fab');

describe('the bundle (dist/fab) that `fab` and `import "fabts"` load', () => {
  it('has an entry for each of bin/fab.js imports and package.json exports', async () => {
    const { ENTRIES } = (await import(pathToFileURL(join(REPO, 'scripts', 'bundle.mjs')).href)) as {
      ENTRIES: string[];
    };
    const bin = readFileSync(join(REPO, 'bin', 'fab.js'), 'utf8');
    const imported = [...bin.matchAll(/import\('\.\.\/dist\/fab\/([^']+)'\)/g)].map((m) => m[1]);
    const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as {
      exports: Record<string, { default: string }>;
    };
    const exported = Object.values(pkg.exports).map((e) => e.default.replace('./dist/fab/', ''));
    expect(imported.length).toBeGreaterThanOrEqual(3);
    for (const e of [...imported, ...exported, 'transport/agent/main.js']) expect(ENTRIES).toContain(e);
  });

  it('shares one instance of each module between its entries', async () => {
    const index = (await import(pathToFileURL(join(FAB, 'index.js')).href)) as Record<string, unknown>;
    const hosts = (await import(pathToFileURL(join(FAB, 'model', 'host-set-api.js')).href)) as Record<string, unknown>;
    expect(typeof hosts.hostSet).toBe('function');
    expect(index.hostSet).toBe(hosts.hostSet);
    expect(index.FabError).toBe(hosts.FabError);
  });

  it('an ad-hoc run loads a handful of its files and none of dist/lib', () => {
    const log = join(mkdtempSync(join(tmpdir(), 'fab-modules-')), 'log');
    const r = spawnSync(
      process.execPath,
      ['--import', join(REPO, 'test/fixtures/module-log/register.mjs'), join(REPO, 'bin/fab.js')].concat(
        ['lab', '-H', 'web1', '--', 'true'],
      ),
      { cwd: REPO, env: { ...process.env, FAB_LAB_DIR: testLabDir(), FAB_TEST_MODULE_LOG: log }, encoding: 'utf8' },
    );
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const urls = readFileSync(log, 'utf8').split('\n').filter(Boolean);
    const own = new Set(urls.filter((u) => u.startsWith(pathToFileURL(join(REPO, 'dist')).href)));
    expect([...own].filter((u) => u.includes('/dist/lib/'))).toEqual([]);
    expect(own.size).toBeGreaterThan(2); // the log works: bin's imports are in it
    // tsc's output is about 85 files for this run; the bundle's entries and chunks (one per lazy import) about 33.
    expect(own.size).toBeLessThan(50);
  });
});
