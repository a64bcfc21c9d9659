// Locate the fabts repository root from this file's location. Works both from test/lab/*.ts (vitest)
// and from the compiled dist/test/lab/*.js (npm run lab): walk up to the nearest package.json named fabts.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function repoRoot(from: string = dirname(fileURLToPath(import.meta.url))): string {
  for (let d = from; ; d = dirname(d)) {
    const pkg = join(d, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'fabts') return d;
      } catch { /* unreadable package.json: keep walking */ }
    }
    if (d === dirname(d)) throw new Error(`lab: no package.json named fabts above ${from}`);
  }
}

/** Default lab dir for the CLI (demo/manual use). */
export const defaultLabDir = () => join(repoRoot(), '.fab', 'lab');
/** The shared lab of a test run (vitest globalSetup). */
export const testLabDir = () => join(repoRoot(), '.fab', 'lab-test');
export const TEST_LAB_NET = 12;
export const TEST_LAB_WEB = 10;
