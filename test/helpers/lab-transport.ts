import { execFileSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll } from 'vitest';
import type { SshEndpoint } from '../../lib/transport/endpoint.js';
import { openSsh } from '../../lib/transport/ssh-connect.js';
import { SshTransport } from '../../lib/transport/ssh.js';
import { testLab } from '../lab/shared.js';
import { FIXTURES, fab } from './fab.js';

type Connection = Awaited<ReturnType<typeof openSsh>>;

/**
 * The transfer tests' setup: an ssh2 transport to a host of the shared lab, logged in as the lab's user, and a
 * fresh folder /srv/<name> on that host that the user owns (made before the file's tests, removed after them).
 */
export function useLabTransport(host: string, name: string) {
  let open: { t: SshTransport; ssh: Connection; srvDir: string } | undefined;
  const opened = () =>
    open ??
    (() => {
      throw new Error('useLabTransport: used outside the tests');
    })();
  beforeAll(async () => {
    const lab = testLab();
    const h = lab.hosts[host]!;
    const srvDir = join(h.root, 'srv', name);
    rmSync(srvDir, { recursive: true, force: true });
    mkdirSync(srvDir);
    execFileSync('chown', [`${lab.user}:`, srvDir]);
    const ep: SshEndpoint = {
      name: host,
      host: h.address,
      port: h.port,
      user: lab.user,
      keys: [lab.clientKey],
      knownHosts: [lab.knownHosts],
      identitiesOnly: true,
      forwardAgent: false,
      certificateFiles: [],
      connectTimeoutMs: 10_000,
      keepaliveMs: 0,
      keepaliveCountMax: 3,
    };
    const ssh = await openSsh(ep, false);
    open = { t: new SshTransport(ssh, host, `${lab.user}@${h.address}:${h.port}`), ssh, srvDir };
  });
  afterAll(async () => {
    await open?.t.close();
    if (open) rmSync(open.srvDir, { recursive: true, force: true });
  });
  return {
    get t(): SshTransport {
      return opened().t;
    },
    /** The ssh2 connection under `t`, for the transport's parts (catGet, catPut, SFTP). */
    get ssh(): Connection {
      return opened().ssh;
    },
    /** The folder as this machine sees it (inside the host's root). */
    get srvDir(): string {
      return opened().srvDir;
    },
    onHost: (file: string) => join(opened().srvDir, file),
    remote: (file: string) => `/srv/${name}/${file}`,
    /** `fab -f test/fixtures/fabfiles/ssh.ts lab -H <host> --json TASK ARGS...` */
    fabTask: (args: string[], opts?: Parameters<typeof fab>[1]) =>
      fab(['-f', `${FIXTURES}/ssh.ts`, 'lab', '-H', host, '--json', ...args], opts),
  };
}
