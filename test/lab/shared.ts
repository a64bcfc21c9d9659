// Access to the shared lab that test/lab/global-setup.ts starts for a vitest run.
import { readFileSync } from 'node:fs';
import { Lab } from './lab.js';
import { testLabDir } from './repo.js';
import type { LabState } from './types.js';

export { testLabDir, TEST_LAB_NET, TEST_LAB_WEB } from './repo.js';
export { labSsh, sshArgs } from './ssh.js';

/** The shared test lab's state (<repo>/.fab/lab-test/lab.json), re-read on every call. */
export function testLab(): LabState {
  const file = `${testLabDir()}/lab.json`;
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as LabState;
  } catch (e) {
    throw new Error(
      `lab: the shared test lab is not running (${file}: ${(e as Error).message}); it is started by test/lab/global-setup.ts`,
    );
  }
}

/** A Lab attached to the shared test lab, for fault injection (stopHost/startHost, pauseHost/resumeHost, spawnInHost). */
export function testLabHandle(): Lab {
  return new Lab(testLab());
}
