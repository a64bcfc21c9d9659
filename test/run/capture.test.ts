import { describe, expect, it } from 'vitest';
import { raw } from '../../lib/commands/quote.js';
import { runCommand } from '../../lib/run/runner.js';
import { LocalTransport } from '../../lib/transport/local.js';
import { testConfig } from '../helpers/runtime.js';

const req = (cmd: string) => ({ host: 'local', requested: raw(cmd), executed: raw(cmd), sudo: false, local: true });

describe('output kept by a result', () => {
  it('keeps stdout and stderr up to output_limit, shows every line, and says what was cut', async () => {
    const { cfg, events } = testConfig();
    const cmd = 'seq 1 1000; seq 1 500 >&2';
    const r = await runCommand(new LocalTransport(), req(cmd), { warnOnly: false, outputLimit: 100 }, cfg);
    expect(r.stdout).toBe(
      '1\n2\n3\n4\n5\n6\n7\n8\n9\n'
        .concat(
          '10\n11\n12\n13\n14\n15\n16\n17\n18\n19\n20\n21\n22\n23\n24\n25\n26\n27\n28\n29\n30\n31\n32\n33\n34\n35\n36\n37\n38\n39\n40\n41\n42\n43\n44\n45\n',
        )
        .slice(0, 100),
    );
    expect(r.stdout).toHaveLength(100);
    expect(r.truncated).toEqual({ stdout: 3893 - 100, stderr: 1892 - 99, limit: 100 });
    expect(r.stderr).toMatch(/^1\n2\n[\s\S]*\[... 1793 bytes not kept; the last lines follow\]\n491\n[\s\S]*\n500\n$/);
    expect(events.filter((e) => e.type === 'output' && e.stream === 'stdout')).toHaveLength(1000);
    const note = events.find((e) => e.type === 'message' && e.level === 'warning');
    expect(note && note.type === 'message' && note.text).toMatch(
      /cut at 100 bytes \(stdout 3793, stderr 1793 bytes not kept\).*output_limit/,
    );
  });

  it('keeps everything and notes nothing under the limit', async () => {
    const { cfg, events } = testConfig();
    const r = await runCommand(new LocalTransport(), req('seq 1 3'), { warnOnly: false, quiet: true }, cfg);
    expect(r.stdout).toBe('1\n2\n3\n');
    expect(r.truncated).toBeUndefined();
    expect(events.some((e) => e.type === 'message')).toBe(false);
  });
});
