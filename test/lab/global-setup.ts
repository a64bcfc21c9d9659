// vitest globalSetup: one shared lab for the whole test run (testLabDir(), net 12, web1..web10,
// bastion + private1, and the web tier: the app on web1..web10, lb1 = nginx and lb2 = HAProxy listing
// all ten). Tests read it with testLab()/testLabHandle() from test/lab/shared.ts.
//
// Two test runs on one machine, from one clone or two, would fight over the lab networks (12, and 13 and 15
// used by the lab's own tests), so a run holds <labBase>/test-net<N>.lock (pid + start time) and a second
// run with the same nets waits for the first. Labs of the run live in testRunDir(), removed at teardown.

import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startLab } from './lab.js';
import type { Lab } from './lab.js';
import { isAlive, procStartTime, sleep } from './proc.js';
import {
  TEST_LAB_NET,
  TEST_LAB_WEB,
  ensureLabFolder,
  labBase,
  removeEmptyLabFolders,
  testLabDir,
  testRunDir,
} from './repo.js';

let lab: Lab | undefined;
let locked = false;
const lockFile = () => join(labBase(), `test-net${TEST_LAB_NET}.lock`);
const LOCK_WAIT_MS = 10 * 60_000;

async function acquireLock(): Promise<void> {
  const file = lockFile();
  ensureLabFolder(labBase());
  const me = `${process.pid} ${procStartTime(process.pid)}\n`;
  const end = Date.now() + LOCK_WAIT_MS;
  let told = false;
  for (;;) {
    try {
      writeFileSync(file, me, { flag: 'wx' });
      locked = true;
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
    let owner = '';
    try {
      owner = readFileSync(file, 'utf8');
    } catch {
      continue;
    }
    const [pid, start] = owner.trim().split(' ').map(Number);
    if (!pid || !isAlive(pid, start)) {
      // the owner died without teardown: take over
      rmSync(file, { force: true });
      continue;
    }
    if (Date.now() > end) throw new Error(`lab: another test run (pid ${pid}) still holds ${file}`);
    if (!told) console.log(`[lab] waiting for another test run (pid ${pid}) to finish with the shared lab...`);
    told = true;
    await sleep(500);
  }
}

export async function setup(): Promise<void> {
  await acquireLock();
  const t0 = performance.now();
  try {
    // The LBs front web1..web3 only: enough for drain and rolling tests, and cheaper health checks.
    lab = await startLab({
      dir: testLabDir(),
      net: TEST_LAB_NET,
      web: TEST_LAB_WEB,
      jump: true,
      lb: true,
      lbBackends: 3,
    });
  } catch (e) {
    await teardown();
    throw e;
  }
  const n = Object.keys(lab.state.hosts).length;
  console.log(
    `[lab] shared test lab: ${n} hosts + web tier up in ${Math.round(performance.now() - t0)} ms (${lab.state.sshConfig})`,
  );
}

export async function teardown(): Promise<void> {
  try {
    if (lab) {
      const t0 = performance.now();
      await lab.stop();
      console.log(`[lab] shared test lab stopped in ${Math.round(performance.now() - t0)} ms`);
    }
  } finally {
    if (locked) {
      rmSync(testRunDir(), { recursive: true, force: true });
      removeEmptyLabFolders(testRunDir());
      rmSync(lockFile(), { force: true });
    }
    locked = false;
  }
}
