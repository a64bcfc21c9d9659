// The README's "Testing your fabfiles" example, as written there (imports through the package names).
import { expect, it } from 'vitest';
import { ScriptedTransport, runTask } from 'fabts/testing';
import { restart } from '../fixtures/testing/app.js';

it('restarts the app as root, then checks its health', async () => {
  const web1 = new ScriptedTransport()
    .once('systemctl restart app')
    .on('curl -fsS http://localhost:8080/health', { stdout: 'ok\n' });
  const r = await runTask(restart, { hosts: { web1 } });
  expect(r.exitCode).toBe(0);
  expect(web1.commands.map((c) => [c.command, c.sudo])).toEqual([
    ['systemctl restart app', true],
    ['curl -fsS http://localhost:8080/health', false],
  ]);
  web1.verify(); // every `once` was used, nothing unscripted ran
});

it('fails the host when the health check does not answer ok', async () => {
  const web1 = new ScriptedTransport()
    .once('systemctl restart app')
    .on(/curl/, { code: 7, stderr: 'curl: (7) Failed to connect\n' });
  const r = await runTask(restart, { hosts: { web1 } });
  expect(r.exitCode).toBe(1);
  expect(r.error('web1')?.message).toContain('unhealthy after restart: curl: (7) Failed to connect');
});
