// openSsh's refusals that need no server: an OpenSSH certificate, a ProxyCommand that dies before the handshake.
import { describe, expect, it } from 'vitest';
import { ConnectError } from '../../lib/errors.js';
import type { SshEndpoint } from '../../lib/transport/endpoint.js';
import { openSsh } from '../../lib/transport/ssh-connect.js';

const ep: SshEndpoint = {
  name: 'web1',
  host: '127.0.0.1',
  port: 1,
  user: 'deploy',
  keys: [],
  knownHosts: [],
  identitiesOnly: true,
  forwardAgent: false,
  certificateFiles: [],
  connectTimeoutMs: 5000,
  keepaliveMs: 0,
  keepaliveCountMax: 3,
};

const failure = async (e: SshEndpoint): Promise<ConnectError> => {
  const err = await openSsh(e, false).then(
    () => undefined,
    (x: unknown) => x,
  );
  expect(err).toBeInstanceOf(ConnectError);
  return err as ConnectError;
};

describe('openSsh', () => {
  it('refuses an OpenSSH user certificate, naming the option and the fix', async () => {
    const err = await failure({ ...ep, certificateFiles: ['/home/deploy/.ssh/id_ed25519-cert.pub'] });
    expect([err.kind, err.reason]).toEqual([
      'config',
      'CertificateFile /home/deploy/.ssh/id_ed25519-cert.pub (ssh_config): the embedded ssh2 transport cannot log in ' +
        'with OpenSSH user certificates (fix: use the openssh transport (the system ssh client), or remove ' +
        'CertificateFile for this host)',
    ]);
  });

  it('blames a ProxyCommand that ends before the handshake, with its status and stderr', async () => {
    // the sleep: its stderr is read before its exit is seen (the reason quotes it)
    const proxyCommand = "sh -c 'echo no route to bastion >&2; sleep 0.2; exit 3'";
    const err = await failure({ ...ep, proxyCommand });
    expect(err.reason).toBe(
      `the ProxyCommand ended before the SSH handshake; ProxyCommand ${proxyCommand} exit 3: no route to bastion`,
    );
  });
});
