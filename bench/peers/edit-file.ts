/**
 * The `edit` job's file on every host: written fresh (root-owned, EDIT_BEFORE) before each timed run, so each run
 * really changes a line, and checked after it (EDIT_LINE present, the old port gone), over fresh OpenSSH.
 */
import { quote } from '../../lib/commands/quote.js';
import { EDIT_BEFORE, EDIT_FILE, EDIT_LINE, missingHosts, type Job, type PeerLab } from './jobs.js';
import { fanOut, sshBase } from './openssh.js';
import { mustRun } from './spawn.js';

export function editResetScript(lab: PeerLab): string {
  const write = `sudo sh -c ${quote(`printf %s ${quote(EDIT_BEFORE)} > ${EDIT_FILE} && chmod 644 ${EDIT_FILE}`)}`;
  return fanOut(lab, 10, `${sshBase(lab)} -l ${quote(lab.user)} -p "$3" "$2" ${quote(write)}`);
}

export function editCheckScript(lab: PeerLab): string {
  const check = `grep -qx ${quote(EDIT_LINE)} ${EDIT_FILE} && ! grep -q '^port = 8080' ${EDIT_FILE}`;
  return fanOut(lab, 10, `${sshBase(lab)} -l ${quote(lab.user)} -p "$3" "$2" ${quote(check)} && echo "$1"`);
}

/** `job` with the file reset before and checked after each run (`direct`: the lab without a proxy in front). */
export function withEditCheck(job: Job, direct: PeerLab): Job {
  const before = job.before;
  const after = job.after;
  return {
    ...job,
    before: async () => {
      await before?.();
      await mustRun(['sh', '-c', editResetScript(direct)], 'writing the edit file');
    },
    after: async () => {
      await after?.();
      const r = await mustRun(['sh', '-c', editCheckScript(direct)], `the line is not in ${EDIT_FILE}`);
      const why = missingHosts(
        direct.hosts.map((h) => h.name),
        r.stdout.split('\n'),
        `${EDIT_LINE} in ${EDIT_FILE}`,
      );
      if (why) throw new Error(`bench:peers: ${why}`);
    },
  };
}
