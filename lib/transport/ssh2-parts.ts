import { createRequire } from 'node:module';
import type * as Ssh2 from 'ssh2';

/**
 * The parts of ssh2 fab uses, each required from its own file: ssh2's index also loads its server, HTTP agents and
 * key generator (node:http, node:https, tls), about 10 ms of every run's start-up for nothing. If a later ssh2
 * moves these files, the index is used instead.
 */
const require = createRequire(import.meta.url);
let index: typeof Ssh2 | undefined;
const fromIndex = () => (index ??= require('ssh2') as typeof Ssh2);

function part<T>(file: string, pick: (exports: unknown) => T | undefined, fallback: () => T): T {
  try {
    return pick(require(file)) ?? fallback();
  } catch {
    return fallback();
  }
}

export const Client: typeof Ssh2.Client = part(
  'ssh2/lib/client.js',
  (m) => (typeof m === 'function' ? (m as typeof Ssh2.Client) : undefined),
  () => fromIndex().Client,
);

export const OpenSSHAgent: typeof Ssh2.OpenSSHAgent = part(
  'ssh2/lib/agent.js',
  (m) => (m as { OpenSSHAgent?: typeof Ssh2.OpenSSHAgent }).OpenSSHAgent,
  () => fromIndex().OpenSSHAgent,
);

export const parseKey: typeof Ssh2.utils.parseKey = part(
  'ssh2/lib/protocol/keyParser.js',
  (m) => (m as { parseKey?: typeof Ssh2.utils.parseKey }).parseKey,
  () => fromIndex().utils.parseKey,
);
