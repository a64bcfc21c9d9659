/** fab's side of `npm run bench:peers`: the jobs that need a task (the ad-hoc `true` needs none). */
import { run, sed, sudo, task } from 'fabts';
import { EDIT_FILE, EDIT_LINE, STEPS, stepCommand } from './jobs.js';

export const peerSteps = task({ description: 'five commands, one after the other' }, async () => {
  for (let i = 0; i < STEPS; i++) await run(stepCommand(i)).quiet();
});

export const peerSudo = task({ description: 'id -u through sudo (FAB_SUDO_PASSWORD)' }, async () => {
  const r = await sudo('id -u').quiet();
  if (r.stdout.trim() !== '0') throw new Error(`sudo id -u printed ${r.stdout.trim()}`);
});

export const peerEdit = task({ description: `set the port line of ${EDIT_FILE}` }, async () => {
  await sed(EDIT_FILE, /^port = .*$/, EDIT_LINE, { sudo: true, backup: false });
});
