import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

let found: string | undefined;

/**
 * The folder of fab's compiled library: dist/fab (the bundle that `fab` runs, where this code sits in an entry or a
 * chunk, at any depth) or dist/lib (tsc's output, this file in lib/util). Every path fab computes to its own files (the
 * `fabts` entry fabfiles import, the agent's entry, package.json) starts here, so both layouts find the same files.
 * The folder is the nearest one up that holds the host-set entry; from the sources (vitest) it is lib/.
 */
export function libDir(): string {
  if (found) return found;
  const here = dirname(fileURLToPath(import.meta.url));
  for (let d = here, i = 0; i < 4 && dirname(d) !== d; d = dirname(d), i++) {
    if (existsSync(join(d, 'model', 'host-set-api.js'))) return (found = d);
  }
  return (found = dirname(here));
}
