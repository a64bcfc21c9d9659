import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const LAB_TESTS = ['test/integration/**/*.test.ts', 'test/lab/**/*.test.ts'];

export default defineConfig({
  resolve: {
    // Fabfiles import 'fabts'; inside tests that must be the same module instance as lib/.
    alias: {
      'fabts/testing': fileURLToPath(new URL('./lib/testing/index.ts', import.meta.url)),
      'fabts/hosts': fileURLToPath(new URL('./lib/model/host-set-api.ts', import.meta.url)),
      fabts: fileURLToPath(new URL('./lib/index.ts', import.meta.url)),
    },
  },
  test: {
    testTimeout: 60_000,
    hookTimeout: 120_000,
    projects: [
      // Pure code and the scripted transport: no root, no lab, no network (`npm run test:unit`).
      // Two workers even on a 2-core machine: Vitest's default there is one, and most unit files wait on child
      // processes (bash, awk, script) rather than the CPU (measured 47 s with one worker, 27 s with two).
      {
        extends: true,
        test: { name: 'unit', include: ['test/**/*.test.ts'], exclude: LAB_TESTS, maxWorkers: 2 },
      },
      {
        extends: true,
        test: {
          name: 'lab',
          include: LAB_TESTS,
          globalSetup: ['test/lab/global-setup.ts'],
          // Integration suites share one lab; running files one at a time keeps them out of each other's way
          // on a 2-core machine and keeps host state predictable.
          fileParallelism: false,
        },
      },
    ],
  },
});
