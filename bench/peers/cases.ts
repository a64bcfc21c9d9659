/** The cases of one job, side by side: the baseline (raw OpenSSH fresh) first, then fab and the peers. */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { ansibleJob, writeAnsible } from './ansible.js';
import { withEditCheck } from './edit-file.js';
import { fabJob } from './fab.js';
import { fabric2Job, writeFabric2 } from './fabric2.js';
import type { Job, JobKind, PeerLab } from './jobs.js';
import { opensshJob } from './openssh.js';

/** The generated files of one view of the lab (direct, or through the proxies). */
export interface PeerSetup {
  lab: PeerLab;
  /** the same hosts reached directly: for the edit file's reset and check */
  direct: PeerLab;
  dir: string;
  fabric2: string;
  root: string;
  node: string;
  sudoPassword: string;
}

export function preparePeers(base: Omit<PeerSetup, 'fabric2'>): PeerSetup {
  mkdirSync(base.dir, { recursive: true, mode: 0o700 });
  writeAnsible(base.dir, base.lab, 10);
  return { ...base, fabric2: writeFabric2(base.dir, base.lab) };
}

const first = (lab: PeerLab, n: number): PeerLab => ({ ...lab, hosts: lab.hosts.slice(0, n) });

const ANSIBLE_MODULE: Record<JobKind, string> = {
  true: 'ansible -m command',
  sudo: 'ansible -m command --become',
  edit: 'ansible -m lineinfile',
  steps: 'ansible-playbook',
};

export interface CaseOptions {
  /** also `npx fab` */
  npx?: boolean;
  /** also Ansible with its ControlPersist masters left warm by an untimed run just before */
  ansibleWarm?: boolean;
}

export function peerCases(
  s: PeerSetup,
  kind: JobKind,
  hosts: number,
  conc: number,
  o: CaseOptions = {},
): Record<string, Job> {
  const lab = first(s.lab, hosts);
  const cm = join(s.dir, 'cm');
  mkdirSync(cm, { recursive: true, mode: 0o700 });
  const fab = { root: s.root, node: s.node, sudoPassword: s.sudoPassword };
  const base = kind === 'steps' ? 'OpenSSH, a fresh master per host' : `OpenSSH fresh (xargs -P ${conc})`;
  const cases: Record<string, Job> = {
    [base]: opensshJob(lab, kind, conc, cm, false),
    [kind === 'steps' ? 'OpenSSH, warm masters' : 'OpenSSH, warm ControlMaster']: opensshJob(lab, kind, conc, cm, true),
    'fab (bin/fab.js)': fabJob({ ...fab, via: 'bin' }, lab, kind, conc),
    ...(o.npx ? { 'fab (npx fab)': fabJob({ ...fab, via: 'npx' }, lab, kind, conc) } : {}),
    'Fabric 2 (python script)': fabric2Job(s.fabric2, lab, kind, conc),
    [`Ansible (${ANSIBLE_MODULE[kind]})`]: ansibleJob(s.dir, lab, kind, conc),
    ...(o.ansibleWarm ? { 'Ansible, ControlPersist warm': ansibleJob(s.dir, lab, kind, conc, true) } : {}),
  };
  if (kind !== 'edit') return cases;
  const direct = first(s.direct, hosts);
  return Object.fromEntries(Object.entries(cases).map(([k, j]) => [k, withEditCheck(j, direct)]));
}
