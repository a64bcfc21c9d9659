// The hard abort (a second Ctrl-C) reaching a command whose channel is still opening.
import { describe, expect, it } from 'vitest';
import { raw } from '../../lib/commands/quote.js';
import { InterruptedError } from '../../lib/errors.js';
import { runCommand } from '../../lib/run/runner.js';
import type { RemoteProcess, Transport } from '../../lib/transport/types.js';
import { testConfig } from '../helpers/runtime.js';

describe('runCommand and the abort', () => {
  it('stops a command that started while the run was being aborted, instead of waiting for its end', async () => {
    const abort = new AbortController();
    const { cfg } = testConfig({ signal: abort.signal });
    let killed = 0;
    const t = {
      kind: 'fake',
      // The channel opens only after the abort; the command then runs until it is killed.
      async exec(): Promise<RemoteProcess> {
        abort.abort();
        let finish!: (r: { code: number | null; signal: string | null }) => void;
        const done = new Promise<{ code: number | null; signal: string | null }>((r) => (finish = r));
        return {
          write: () => undefined,
          end: () => undefined,
          kill: () => (killed++, finish({ code: null, signal: 'TERM' })),
          done,
        };
      },
    } as unknown as Transport;
    const c = raw('sleep 600');
    const run = runCommand(
      t,
      { host: 'h1', requested: c, executed: c, sudo: false, local: false },
      { warnOnly: false },
      cfg,
    );
    const hung = new Promise((r) => setTimeout(() => r('still waiting'), 2000).unref());
    await expect(Promise.race([run, hung])).rejects.toThrow(InterruptedError);
    expect(killed).toBe(1);
  });
});
