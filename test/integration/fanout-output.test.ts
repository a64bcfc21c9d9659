// A fan-out to 50 real sshd hosts with output shown (own lab, net 13 like the lab's own tests; files run one at a
// time): every host's long lines arrive whole and unmixed, and the summary counts the hosts that failed.
// bench/fanout.ts runs the same check at 200 hosts.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab } from '../helpers/fab.js';
import { startLab, type Lab } from '../lab/lab.js';
import { checkFanoutOutput, failsOn, outputCommand, OUT_LINES } from '../lab/fanout-output.js';
import { LAB_NETS, testRunDir } from '../lab/repo.js';

const DIR = testRunDir('lab-fanout');
const N = 50;
const hosts = Array.from({ length: N }, (_, i) => `web${i + 1}`);
let lab: Lab;

beforeAll(async () => {
  lab = await startLab({ dir: DIR, net: LAB_NETS.labTests, web: N });
});
afterAll(async () => {
  await lab?.stop();
});

describe(`fan-out to ${N} hosts`, () => {
  for (const pool of [[], ['-z', '10']]) {
    it(`prints whole lines for every host and a correct summary (${['-P', ...pool].join(' ')})`, async () => {
      const r = await fab(['lab', '-H', hosts.join(','), '-P', ...pool, '--', outputCommand()], {
        env: { FAB_LAB_DIR: DIR },
      });
      expect(checkFanoutOutput(r.stdout, hosts)).toEqual([]);
      expect(r.code).toBe(1); // the hosts *7 exit 3
      const failed = hosts.filter(failsOn);
      expect(failed).toHaveLength(5);
      expect(r.stdout).toContain(`${N} hosts: ${N - failed.length} ok, ${failed.length} failed`);
      expect(r.stdout.split('\n').filter((l) => / out: web\d+ line /.test(l))).toHaveLength(N * OUT_LINES);
    });
  }
});
