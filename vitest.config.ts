import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

export default defineConfig({
  resolve: {
    // Fabfiles import 'fabts'; inside tests that must be the same module instance as lib/.
    alias: { fabts: fileURLToPath(new URL('./lib/index.ts', import.meta.url)) },
  },
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['test/lab/global-setup.ts'],
    // Integration suites share one lab; running files one at a time keeps them out of each other's way
    // on a 2-core machine and keeps host state predictable.
    fileParallelism: false,
    testTimeout: 60_000,
    hookTimeout: 120_000,
  },
});
