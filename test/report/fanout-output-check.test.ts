// The checker the 50-host lab test and the 200-host bench rely on: it must catch what it is there to catch.
import { describe, expect, it } from 'vitest';
import { checkFanoutOutput, OUT_LINES, OUT_WIDTH } from '../lab/fanout-output.js';

const hosts = ['web1', 'web2', 'web7'];
const x = 'x'.repeat(OUT_WIDTH);
const good = [
  ...hosts.map((h) => `[${h}] run: the command`),
  ...hosts.flatMap((h) => Array.from({ length: OUT_LINES }, (_, i) => `[${h}] out: ${h} line ${i + 1} ${x}`)),
  '[web7] FAILED command: [web7] command exited with code 3',
  '  Requested: the command',
  '',
  'Failed in 0.4s. 3 hosts: 2 ok, 1 failed',
  '  web7  failed command exited with code 3',
].join('\n');

describe('checkFanoutOutput', () => {
  it('accepts whole lines from every host and the right summary', () => {
    expect(checkFanoutOutput(good, hosts)).toEqual([]);
  });
  it.each([
    ['a line cut by another host', good.replace(`web2 line 2 ${x}`, `web2 line 2 xx[web1] out: ${x}`)],
    ['a line from another host under this prefix', good.replace(`[web2] out: web2 line 3`, `[web2] out: web1 line 3`)],
    ['a lost line', good.replace(`[web1] out: web1 line 2 ${x}\n`, '')],
    ['a short line', good.replace(`web1 line 1 ${x}`, `web1 line 1 ${x.slice(1)}`)],
    ['a wrong count', good.replace('2 ok, 1 failed', '3 ok')],
    ['a missing FAILED line', good.replace('[web7] FAILED', '[web7] failed')],
  ])('reports %s', (_what, text) => {
    expect(checkFanoutOutput(text, hosts)).not.toEqual([]);
  });
});
