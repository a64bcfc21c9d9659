import { describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { labSsh, testLab, testLabHandle } from '../lab/shared.js';

/** No process of that marker left on web1..web3 ([f]oo: the pattern does not match the shell running pgrep). */
async function leftOver(marker: string): Promise<string> {
  const found = await Promise.all(
    ['web1', 'web2', 'web3'].map((h) => labSsh(testLab(), h, `pgrep -f "[${marker[0]}]${marker.slice(1)}" || true`)),
  );
  return found.map((r) => r.stdout.trim()).join('');
}

/** Polls until `check` is true (the remote channel closing is asynchronous on sshd's side). */
async function eventually(check: () => Promise<boolean>, ms = 5000): Promise<boolean> {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    if (await check()) return true;
    await new Promise((r) => setTimeout(r, 100));
  }
  return check();
}

describe('SIGTERM and SIGHUP during a parallel run', () => {
  it.each([
    ['SIGTERM', 143],
    ['SIGHUP', 129],
  ] as const)('%s stops the remote commands, prints the summary and exits %i', async (sig, code) => {
    const marker = `fab-${sig}-${process.pid}`;
    let sent = false;
    const r = await fab(['lab', '-H', 'web1,web2,web3', '-P', '--', `exec sleep 30 # ${marker}`], {
      onStdout: (out, kill) => {
        if (!sent && (out.match(/ run: exec sleep/g) ?? []).length === 3) {
          sent = true;
          setTimeout(() => kill(sig), 300);
        }
      },
    });
    expect(sent).toBe(true);
    expect(r.code).toBe(code);
    expect(r.stderr).toContain(`fab: ${sig}; stopping commands`);
    expect(r.stdout).toMatch(/Failed in .*3 hosts: 3 interrupted/);
    expect(await eventually(async () => (await leftOver(marker)) === '')).toBe(true);
  });
});

describe('Ctrl-C during connects', () => {
  it('gives up a connect in progress at once instead of waiting out -t', async () => {
    const lab = testLabHandle();
    await lab.pauseHost('web8');
    try {
      let sent = false;
      const r = await fab(['lab', '-H', 'web8', '-t', '30', '--json', '--', 'true'], {
        onStdout: (out, kill) => {
          if (!sent && out.includes('"type":"task.start"')) {
            sent = true;
            setTimeout(() => kill('SIGINT'), 300);
          }
        },
      });
      expect(sent).toBe(true);
      expect(r.code).toBe(130);
      const end = r.events.find((e) => e.type === 'run.end');
      expect(end?.type === 'run.end' && end.hosts).toEqual([{ host: 'web8', status: 'interrupted', task: 'command' }]);
      // Before: the connect ran its course (-t 30) before fab exited.
      expect(r.ms).toBeLessThan(10_000);
    } finally {
      await lab.resumeHost('web8');
    }
  });
});

describe('small ones', () => {
  it('runs -P over more than 10 hosts without a MaxListenersExceededWarning', async () => {
    const r = await fab(['lab', '-P', '--hide', 'running,stdout', '--', 'sleep 0.5']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/1[1-9] hosts: 1[1-9] ok/);
    expect(r.stderr).not.toMatch(/MaxListenersExceededWarning/);
  });
});
