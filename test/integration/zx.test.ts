import { describe, expect, it } from 'vitest';
import { fabLab } from '../helpers/fab.js';
import { testLab } from '../lab/shared.js';

describe("zx's $ in a fabfile task, with a remote run (lab)", () => {
  it('binds each $ to its host in parallel and reports it like local(), in --json', async () => {
    const r = await fabLab(['-H', 'web1,web2', '-P', 'zxSteps', '--json']);
    expect(r.code).toBe(0);
    const lab = testLab();
    for (const host of ['web1', 'web2']) {
      const address = lab.hosts[host]!.address;
      const mine = r.events.filter((e) => 'host' in e && e.host === host);
      const starts = mine.flatMap((e) => (e.type === 'command.start' ? [e] : []));
      expect(starts.map((e) => [e.local, e.requested])).toEqual([
        [true, `printf '%s' "stamp-$FAB_HOST"`],
        [false, 'cat /etc/hostname'],
        [true, `echo "local sees $REMOTE at $FAB_HOST_ADDRESS, ${`stamp-${host}`}"`],
        [true, 'echo "in $(pwd)"'],
        [true, 'echo kept-not-shown'],
      ]);
      const out = mine.flatMap((e) => (e.type === 'output' ? [e.line] : []));
      expect(out).toEqual([`stamp-${host}`, host, `local sees ${host} at ${address}, stamp-${host}`, 'in /']);
      expect(mine.flatMap((e) => (e.type === 'message' ? [e.text] : []))).toEqual(['quiet gave kept-not-shown']);
      const ends = mine.flatMap((e) => (e.type === 'command.end' ? [e] : []));
      expect(ends.map((e) => e.code)).toEqual([0, 0, 0, 0, 0]);
      expect(new Set(ends.map((e) => e.id))).toEqual(new Set(starts.map((e) => e.id)));
    }
  });

  it('prints [host] local: and out: lines, and --hide running hides the commands only', async () => {
    const r = await fabLab(['-H', 'web1', 'zxSteps']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `[web1] local: printf '%s' "stamp-$FAB_HOST"\n[web1] out: stamp-web1\n[web1] run: cat /etc/hostname\n[web1] out: web1\n`,
    );
    expect(r.stdout).not.toContain('out: kept-not-shown');
    const hidden = await fabLab(['-H', 'web1', '--hide', 'running', 'zxSteps']);
    expect(hidden.stdout).not.toMatch(/local: |run: /);
    expect(hidden.stdout).toContain('[web1] out: in /\n');
  });

  it('a failing $ fails the task on that host, and nothing after it runs', async () => {
    const r = await fabLab(['-H', 'web1', 'zxFails', '--json']);
    expect(r.code).toBe(1);
    const end = r.events.find((e) => e.type === 'task.end');
    expect(end).toMatchObject({ ok: false, host: 'web1', error: { message: expect.stringContaining('exit code: 7') } });
    expect(r.events.some((e) => e.type === 'command.start' && e.requested === 'echo never')).toBe(false);
  });
});
