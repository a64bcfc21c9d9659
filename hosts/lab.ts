import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { hostSet, UsageError } from 'fabts';
import type { LabState } from '../test/lab/types.js';

/**
 * The embedded lab: real sshd hosts on loopback, started with `npm run lab -- up`.
 * Read only when selected (`fab lab ...`), from the lab's state file.
 */
export const lab = hostSet(() => {
  const dir = process.env.FAB_LAB_DIR ?? fileURLToPath(new URL('../.fab/lab', import.meta.url));
  let state: LabState;
  try {
    state = JSON.parse(readFileSync(`${dir}/lab.json`, 'utf8')) as LabState;
  } catch {
    throw new UsageError(`the lab is not running (no ${dir}/lab.json)`, 'start it with `npm run lab -- up` (as root), or set FAB_LAB_DIR');
  }
  const hosts = Object.fromEntries(
    Object.values(state.hosts).map((h) => [h.name, { address: h.address, port: h.port, roles: h.roles, ...(h.jump ? { jump: h.jump } : {}), settings: { labRoot: h.root } }]),
  );
  return { hosts, ssh: { user: state.user, key: state.clientKey, knownHosts: state.knownHosts } };
}, 'the embedded lab of real sshd hosts (npm run lab -- up)');
