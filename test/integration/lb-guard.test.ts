// The LB recipes against the shared lab's real nginx (lb1) and HAProxy (lb2): the HAProxy last-server guard
// with a backend DOWN by its health check, and nginx reading its pid file once per reload.
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { labSsh, testLab, testLabHandle } from '../lab/shared.js';
import { parseHaproxyStat } from '../lab/test-helpers.js';
import { sleep } from '../lab/proc.js';

const lb = () => testLab().lb!;
const onLb = (kind: 'nginx' | 'haproxy', args: string[]) => fab(['lab', '-H', lb()[kind].host, ...args]);
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');

async function haproxyStatus(): Promise<Record<string, string>> {
  const r = await labSsh(testLab(), lb().haproxy.host, `echo 'show stat' | ${lb().haproxy.socketCommand}`);
  const rows = parseHaproxyStat(r.stdout);
  return Object.fromEntries(lb().haproxy.backends.map((b) => [b, rows[b]?.status ?? 'missing']));
}

async function waitStatus(server: string, status: RegExp, ms = 15_000): Promise<void> {
  for (const end = Date.now() + ms; ; await sleep(200)) {
    const now = (await haproxyStatus())[server] ?? '';
    if (status.test(now)) return;
    if (Date.now() > end) throw new Error(`HAProxy never showed ${server} as ${status}: ${now}`);
  }
}

describe('haproxy last-server guard', () => {
  it('refuses to disable the last UP server when the other one is only DOWN by its health check', async () => {
    const [first, down, last] = lb().haproxy.backends as [string, string, string];
    const conf = join(testLab().hosts[lb().haproxy.host]!.root, lb().haproxy.conf);
    try {
      expect((await onLb('haproxy', ['disableLb', first])).code).toBe(0);
      // Stop the app on `down` (its supervisor stops it on SIGTERM): HAProxy's checks mark it DOWN,
      // while its admin state stays enabled.
      const stop = await labSsh(testLab(), down, 'sudo kill "$(cat /run/fab-app.pid)"');
      expect(stop.code).toBe(0);
      await waitStatus(down, /^DOWN/);
      expect(await haproxyStatus()).toMatchObject({ [first]: 'MAINT', [last]: 'UP' });

      const before = sha(conf);
      const r = await onLb('haproxy', ['disableLb', last]);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        new RegExp(
          `disabling "${last}" would leave backend app with no enabled server \\(an outage\\); ` +
            `pass --force to do it anyway \\(the other servers: ${first} MAINT, ${down} DOWN`,
        ),
      );
      expect(sha(conf)).toBe(before);
      expect((await haproxyStatus())[last]).toBe('UP');
    } finally {
      // Restart the app on `down` (a host restart starts its services again), then put both back in.
      await testLabHandle().stopHost(down);
      await testLabHandle().startHost(down);
      await waitStatus(down, /^(UP|MAINT)$/);
      for (const b of [first, down, last]) await onLb('haproxy', ['enableLb', b]);
      await waitStatus(down, /^UP$/);
    }
  });
});

describe('nginx reload', () => {
  it('reloads and waits in the commit script (pid file, workers, reload, kill -0 on the host), the master kept', async () => {
    const pidFile = '/run/nginx.pid';
    const masterFile = join(testLab().hosts[lb().nginx.host]!.root, pidFile);
    const master = readFileSync(masterFile, 'utf8').trim();
    const off = await onLb('nginx', ['--json', 'disableLb', 'web1']);
    try {
      expect(off.code).toBe(0);
      const commands = off.events.flatMap((e) => (e.type === 'command.start' ? [e.requested] : []));
      const reloads = commands.filter((c) => c.includes(pidFile));
      expect(reloads).toHaveLength(1);
      // One script reads the conf, then replaces it and reloads: one command (after the run's one sudo probe).
      expect(reloads[0]).toMatch(
        /^\(replace \/etc\/nginx\/nginx\.conf: read it, .*, rename, then reload nginx \(.+\) and wait for the old workers of \/run\/nginx\.pid\)$/,
      );
      expect(commands.filter((c) => /^(kill -0|pgrep)/.test(c))).toEqual([]); // inside the script now
      // It prints what it read and waits for the new conf on its stdin: no read of its own, one sudo.
      expect(commands).toEqual(['(can the login user replace /etc/nginx/nginx.conf?)', reloads[0]]);
      expect(readFileSync(masterFile, 'utf8').trim()).toBe(master); // a reload keeps the master
    } finally {
      expect((await onLb('nginx', ['enableLb', 'web1'])).code).toBe(0);
    }
  });
});
