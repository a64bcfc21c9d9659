// `npm run build`, second step: bundle tsc's output (dist/lib) into dist/fab, what `fab` and `import 'fabts'` load.
// Node resolves, reads and compiles every ES module apart: about 85 of fab's own files for an ad-hoc command, which
// measured 0.05-0.06 CPU-s of a 0.36 CPU-s one-host run (bench/README.md, "Fan-out at scale and start-up").
// Splitting keeps one instance of every module across the entries (a fabfile's `task` is the CLI's), and keeps the
// dynamic imports lazy. Packages stay outside (node_modules, loaded as before).
import { build } from 'esbuild';
import { rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const from = join(root, 'dist', 'lib');
const out = join(root, 'dist', 'fab');
// The bundle's entries, each at its dist/lib path: what bin/fab.js, package.json's exports and libDir() name.
export const ENTRIES = [
  'cli/main.js',
  'cli/complete-command.js',
  'run/interrupt.js',
  'index.js',
  'model/host-set-api.js',
  'testing/index.js',
  'transport/agent/main.js',
];

export async function bundle() {
  rmSync(out, { recursive: true, force: true });
  await build({
    entryPoints: ENTRIES.map((e) => join(from, e)),
    outbase: from,
    outdir: out,
    // Shared code in its own folder; libDir() (lib/util/lib-dir.ts) finds dist/fab from there as from an entry.
    chunkNames: 'chunks/[name]-[hash]',
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    packages: 'external',
    sourcemap: 'linked',
    logLevel: 'warning',
  });
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await bundle();
