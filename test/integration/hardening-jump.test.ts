// A ProxyJump chain of two hops, against a small lab of its own (net LAB_NETS.jumpChain): bastion in one
// network namespace, private1 behind it, private2 behind private1 only (`jump2: true`).
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fab as fabShared } from '../helpers/fab.js';
import { startLab, type Lab } from '../lab/lab.js';
import { LAB_NETS, testRunDir } from '../lab/repo.js';
import { labSsh } from '../lab/ssh.js';

const DIR = testRunDir('lab-jump2');
const NET = LAB_NETS.jumpChain;
let lab: Lab;
const fab = (args: string[]) => fabShared(args, { env: { FAB_LAB_DIR: DIR } });
const connects = (r: Awaited<ReturnType<typeof fab>>) =>
  r.events.flatMap((e) => (e.type === 'connect' ? [`${e.host} ${e.target}`] : []));

beforeAll(async () => {
  lab = await startLab({ dir: DIR, net: NET, web: 0, jump2: true });
});
afterAll(async () => {
  await lab?.stop();
});

describe('ProxyJump through two hops (bastion, then private1, then private2)', () => {
  it('the lab: private2 answers OpenSSH only through bastion,private1', async () => {
    expect(lab.state.hosts.private2).toMatchObject({ address: `10.${NET}.3.2`, jump: 'bastion,private1' });
    expect((await labSsh(lab.state, 'private2', 'hostname')).stdout).toBe('private2\n');
    const oneHop = await labSsh(lab.state, 'private2', 'true', {
      args: ['-o', 'ProxyJump=bastion', '-o', 'ConnectTimeout=3'],
    });
    expect(oneHop.code).toBe(255);
  });

  it('fab reaches private2 from the host set, and the connection comes from private1', async () => {
    const r = await fab(['lab', '-H', 'private2', '--json', '--', 'hostname; echo "$SSH_CONNECTION"']);
    expect(r.code).toBe(0);
    const out = r.events.flatMap((e) => (e.type === 'output' && e.host === 'private2' ? [e.line] : []));
    expect(out[0]).toBe('private2');
    expect(out[1]!.split(' ')[0]).toBe(`10.${NET}.3.1`); // private1's side of the private1-private2 link
    expect(connects(r)).toContainEqual(
      expect.stringMatching(new RegExp(`^private2 fabts@10\\.${NET}\\.3\\.2:2222 via bastion,private1$`)),
    );
  });

  it('fab follows the chain from an ssh_config (ProxyJump bastion,private1) too', async () => {
    const r = await fab(['--ssh-config', lab.state.sshConfig, '-H', 'private2', '--', 'hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[private2] out: private2');
  });

  it("-g applies to the target, not to the jump host itself: -g private1 goes through private1's own bastion", async () => {
    const r = await fab(['lab', '-H', 'private2', '-g', 'private1', '--', 'hostname']);
    expect(r.stdout + r.stderr).not.toMatch(/ProxyJump loop/);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('[private2] out: private2');
    // The gateway may be one of the run's hosts: it is reached as configured, not through itself.
    const both = await fab(['lab', '-H', 'private1,private2', '-g', 'private1', '--', 'hostname']);
    expect(both.code).toBe(0);
    expect(both.stdout).toContain('[private1] out: private1');
    expect(both.stdout).toContain('[private2] out: private2');
    // One hop short: bastion cannot route to private2; the failure names the target, and it is not a loop.
    const short = await fab(['lab', '-H', 'private2', '-g', 'bastion', '-t', '3', '-n', '1', '--', 'hostname']);
    expect(short.code).toBe(1);
    expect(short.stdout + short.stderr).not.toMatch(/ProxyJump loop/);
    expect(short.stdout).toMatch(/private2 +failed .*10\.\d+\.3\.2/);
  });

  it('runs on private1 and private2 in parallel with one connection per hop', async () => {
    const r = await fab(['lab', '-H', 'private1,private2,bastion', '-P', '--json', '--', 'hostname']);
    expect(r.code).toBe(0);
    const seen = connects(r).map((c) => c.split(' ')[0]);
    expect(seen.sort()).toEqual(['bastion', 'private1', 'private2']);
  });

  it('a dead middle hop fails the target with the hop named, and the run says so', async () => {
    await lab.stopHost('private1');
    try {
      const r = await fab(['lab', '-H', 'private2', '-t', '3', '-n', '1', '--', 'hostname']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(
        /private2 +failed .*cannot connect to fabts@10\.\d+\.2\.2:2222 via bastion: the jump host could not reach it: .*refused/,
      );
    } finally {
      await lab.startHost('private1');
    }
    expect((await fab(['lab', '-H', 'private2', '--', 'hostname'])).code).toBe(0);
  });
});
