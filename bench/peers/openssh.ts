/**
 * Raw OpenSSH, the baseline: `xargs -P N` over one `ssh` per host, fresh connections (curve25519, as in
 * bench:fanout and bench:warm) or through a warm ControlMaster per host and user. Pure shell-text builders, all
 * quoted with lib/commands/quote.ts; each host prints `<name> <stdout>` once its command succeeded.
 */
import { join } from 'node:path';
import { quote } from '../../lib/commands/quote.js';
import { mustRun, spawnAsync } from './spawn.js';
import {
  EDIT_SED,
  STEPS,
  SUDO_PASSWORD_ENV,
  missingHosts,
  stepCommand,
  type Job,
  type JobKind,
  type PeerLab,
} from './jobs.js';

/** ssh with only the options given here (-F /dev/null): the lab's key, strict host keys, no prompts. */
export function sshBase(lab: PeerLab): string {
  return [
    'ssh -F /dev/null -o BatchMode=yes -o IdentitiesOnly=yes',
    `-i ${quote(lab.key)} -o UserKnownHostsFile=${quote(lab.knownHosts)} -o StrictHostKeyChecking=yes`,
  ].join(' ');
}

/** Runs `perHost` for every host, `concurrency` at a time, with $1 = name, $2 = address, $3 = port. */
export function fanOut(lab: PeerLab, concurrency: number, perHost: string): string {
  const lines = lab.hosts.map((h) => quote(`${h.name} ${h.address} ${h.port}`)).join(' ');
  return `printf '%s\\n' ${lines} | xargs -P ${concurrency} -L 1 sh -c ${quote(perHost)} sh`;
}

const REMOTE: Record<Exclude<JobKind, 'steps'>, string> = {
  true: 'true',
  sudo: "sudo -S -p '' id -u",
  edit: `sudo ${EDIT_SED}`,
};

/** The shell text of one job; `via` is the ssh command to a host's address (fresh, or over its master). */
export function opensshScript(lab: PeerLab, kind: JobKind, concurrency: number, cm: string, warm: boolean): string {
  const user = kind === 'sudo' ? lab.sudoUser : lab.user;
  const ssh = `${sshBase(lab)} -l ${quote(user)} -p "$3"`;
  const fresh = `${ssh} -o KexAlgorithms=curve25519-sha256`;
  const mux = `${ssh} -o ControlMaster=no -o ControlPath=${quote(join(cm, '%C'))}`;
  const via = warm ? mux : fresh;
  if (kind === 'steps') {
    const steps = Array.from({ length: STEPS }, (_, i) => `${mux} "$2" ${quote(stepCommand(i))} >/dev/null`);
    // fresh: one master per host for its five commands (started, used, closed), as in bench:warm
    const open = `${fresh} -o ControlMaster=yes -o ControlPath=${quote(join(cm, '%C'))} -o ControlPersist=60 -fN "$2"`;
    const close = `${mux} -O exit "$2" 2>/dev/null`;
    const body = warm ? steps.join(' && ') : [open, ...steps, close].join(' && ');
    return fanOut(lab, concurrency, `${body} && echo "$1"`);
  }
  // the password goes from the environment to sudo's stdin: never an argument
  const input = kind === 'sudo' ? `printf '%s\\n' "$${SUDO_PASSWORD_ENV}" | ` : '';
  return fanOut(lab, concurrency, `out=$(${input}${via} "$2" ${quote(REMOTE[kind])}) && echo "$1 $out"`);
}

/** Starts a ControlMaster (ControlPersist 10 min) per host for `user` where none answers yet. */
export async function startMasters(lab: PeerLab, user: string, cm: string): Promise<void> {
  const ssh = `${sshBase(lab)} -l ${quote(user)} -p "$3" -o ControlPath=${quote(join(cm, '%C'))}`;
  const script = fanOut(
    lab,
    10,
    `${ssh} -O check "$2" 2>/dev/null || ${ssh} -o ControlMaster=yes -o ControlPersist=600 -fN "$2"`,
  );
  await mustRun(['sh', '-c', script], 'starting ControlMasters');
}

export async function stopMasters(lab: PeerLab, user: string, cm: string): Promise<void> {
  const ssh = `${sshBase(lab)} -l ${quote(user)} -p "$3" -o ControlPath=${quote(join(cm, '%C'))}`;
  await spawnAsync(['sh', '-c', fanOut(lab, 10, `${ssh} -O exit "$2" 2>/dev/null; true`)]);
}

export function opensshJob(lab: PeerLab, kind: JobKind, concurrency: number, cm: string, warm: boolean): Job {
  const names = lab.hosts.map((h) => h.name);
  const user = kind === 'sudo' ? lab.sudoUser : lab.user;
  const job: Job = {
    argv: ['sh', '-c', opensshScript(lab, kind, concurrency, cm, warm)],
    env: {},
    verify: (out) => {
      const ok = [...out.matchAll(/^(\S+) ?(.*)$/gm)].filter((m) => kind !== 'sudo' || m[2] === '0');
      return missingHosts(
        names,
        ok.map((m) => m[1]!),
        'openssh: output',
      );
    },
  };
  if (warm) job.before = () => startMasters(lab, user, cm);
  return job;
}
