import { describe, expect, it } from 'vitest';
import { DEFAULT_CONNECT_TIMEOUT_MS, resolveEndpoint, type SshOptions } from '../../lib/transport/endpoint.js';
import type { HostTarget } from '../../lib/model/hostset.js';
import type { SshConfigEntry } from '../../lib/transport/sshconfig.js';

const target: HostTarget = { name: 'web1', address: 'web1', keys: [], transport: 'ssh', roles: [], settings: {} };
const base: SshOptions = { identity: [], acceptNew: false, attempts: 1, keepaliveMs: 15_000 };
const cfg = (c: Partial<SshConfigEntry>): SshConfigEntry => ({ identityFiles: [], knownHostsFiles: [], identitiesOnly: false, certificateFiles: [], ...c });

describe('resolveEndpoint: connect timeout', () => {
  it.each([
    ['neither -t nor ssh_config', {}, {}, DEFAULT_CONNECT_TIMEOUT_MS],
    ['ssh_config ConnectTimeout', {}, { connectTimeout: 3 }, 3000],
    ['-t over ssh_config', { connectTimeoutMs: 1000 }, { connectTimeout: 3 }, 1000],
    ['-t alone', { connectTimeoutMs: 7000 }, {}, 7000],
  ])('%s', (_name, opts, entry, want) => {
    expect(resolveEndpoint(target, cfg(entry), { ...base, ...opts }).connectTimeoutMs).toBe(want);
  });
});
