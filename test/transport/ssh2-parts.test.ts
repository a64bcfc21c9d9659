import { createRequire } from 'node:module';
import ssh2 from 'ssh2';
import { describe, expect, it } from 'vitest';
import { Client, OpenSSHAgent, parseKey } from '../../lib/transport/ssh2-parts.js';

const require = createRequire(import.meta.url);

describe('ssh2-parts: the parts of ssh2 fab uses, without its index', () => {
  // If a later ssh2 moves these files, fab still works (through the index) but loses ~10 ms of start-up: this fails.
  it.each([
    ['ssh2/lib/client.js', (m: unknown) => m],
    ['ssh2/lib/agent.js', (m: unknown) => (m as { OpenSSHAgent: unknown }).OpenSSHAgent],
    ['ssh2/lib/protocol/keyParser.js', (m: unknown) => (m as { parseKey: unknown }).parseKey],
  ])('%s is where ssh2 keeps it', (file, pick) => {
    expect(typeof pick(require(file))).toBe('function');
  });

  it("are ssh2's own classes and functions", () => {
    expect(Client).toBe(ssh2.Client);
    expect(OpenSSHAgent).toBe(ssh2.OpenSSHAgent);
    expect(parseKey).toBe(ssh2.utils.parseKey);
  });
});
