import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO, fab, fabLab } from '../helpers/fab.js';

/** A throwaway project: files under hosts/ and fabfiles/. */
function project(files: Record<string, string>): string {
  const dir = mkdtempSync(join(tmpdir(), 'fab-hostile-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(join(dir, path, '..'), { recursive: true });
    writeFileSync(join(dir, path), text);
  }
  return dir;
}

describe('hostile output from real sshd hosts', () => {
  it('shows every line of output but keeps only output_limit bytes for a task, and says so', async () => {
    const dir = project({
      'hosts/lab.ts': `export { lab } from '${REPO}hosts/lab.ts';\n`,
      'fabfiles/big.ts': `import { run, task } from 'fabts';
export const big = task({}, async () => {
  const r = await run('seq 1 20000').quiet();
  console.log('kept', r.stdout.length, JSON.stringify(r.truncated));
});`,
    });
    const r = await fab(['-f', join(dir, 'fabfiles'), 'lab', '-H', 'web1', '--set', 'output_limit=1000', 'big'], {
      cwd: dir,
    });
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`kept 1000 {"stdout":${108894 - 1000},"stderr":0,"limit":1000}`);
    expect(r.stdout).toMatch(
      /\[web1\] Warning: output kept for the result was cut at 1000 bytes \(stdout 107894 bytes not kept\): seq 1 20000; --set output_limit=BYTES keeps more/,
    );
  });

  it('shows a 3 MB line without a newline cut at 1 MiB, with the count of bytes left out', async () => {
    const r = await fab([
      'lab',
      '-H',
      'web1',
      '--json',
      '--',
      "head -c 3000000 /dev/zero | tr '\\0' y; printf '\\nnext\\n'",
    ]);
    expect(r.code).toBe(0);
    const lines = r.events.flatMap((e) => (e.type === 'output' ? [e.line] : []));
    expect(lines).toEqual([`${'y'.repeat(1048576)} [... ${3000000 - 1048576} bytes]`, 'next']);
  });
});

describe('malformed host sets and task arguments', () => {
  const hostsWith = (hosts: string) => ({
    'hosts/bad.ts': `import { hostSet } from 'fabts';\nexport const bad = hostSet({ hosts: ${hosts} });\n`,
  });

  it.each([
    [
      "['web1', 'web2']",
      /hosts\/bad\.ts: host set bad: hosts is an array\n {2}fix: make it an object of host name -> settings/,
    ],
    ["'web1'", /hosts\/bad\.ts: host set bad: hosts is the string "web1"\n {2}fix: make it an object/],
    [
      "{ web1: { port: '22x' } }",
      /host set bad: hosts\.web1\.port is the string "22x"\n {2}fix: make it a port number from 1 to 65535/,
    ],
    [
      "{ web1: { rolse: ['web'] } }",
      /host set bad: hosts\.web1 has an unknown key "rolse"\n {2}fix: use one of: address, port, user, key, knownHosts, jump, roles/,
    ],
  ])('refuses hosts: %s with exit 2 naming the file, the key and the fix, touching no host', async (hosts, message) => {
    const dir = project(hostsWith(hosts));
    const r = await fab(['bad', '--', 'touch /tmp/fab-hostile-ran'], { cwd: dir });
    expect(r.stderr).toMatch(message);
    expect(r.code).toBe(2);
    expect(r.stdout).not.toMatch(/out:|Done|Failed/);
  });

  it("refuses an argument default that does not match the argument's type", async () => {
    const dir = project({
      'fabfiles/deploy.ts': `import { arg, task } from 'fabts';\nexport const go = task({ args: { n: arg.number({ default: 'abc' as unknown as number }) } }, async () => {});\n`,
    });
    const r = await fab(['-f', join(dir, 'fabfiles'), '-l'], { cwd: dir });
    expect(r.stderr).toMatch(
      /fabfiles\/deploy\.ts: task deploy\.go: argument "n" is declared number but its default is the string "abc"\n {2}fix: make the default a number, e\.g\. \{ default: 3 \}/,
    );
    expect(r.code).toBe(2);
  });

  it('-l on an -f fabfile without tasks names that file, not the default search path', async () => {
    const dir = project({ 'ops/empty.ts': 'export const notATask = 1;\n' });
    const r = await fab(['-f', join(dir, 'ops/empty.ts'), '-l'], { cwd: dir });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`No tasks found in ${join(dir, 'ops/empty.ts')} (from -f).`);
    expect(r.stdout).not.toMatch(/looked for \.\/fabfiles/);
  });

  it('still runs a well-formed host set', async () => {
    const r = await fabLab(['-H', 'web1', 'echoArg', 'fine']);
    expect(r.code).toBe(0);
  });
});

describe('option values and host patterns', () => {
  it.each([
    [['-P', '-z', '1.5'], /--pool-size \(-z\) 1\.5: expected a whole number from 1[\s\S]*fix:/],
    [['-P', '-z', '0'], /--pool-size \(-z\) 0/],
    [['--port', '70000'], /--port 70000: expected a whole number from 1 to 65535/],
    [['--port', '0'], /--port 0/],
    [['-n', '0'], /--connection-attempts \(-n\) 0/],
    [['-t', '0'], /--timeout \(-t\) 0: expected more than 0 seconds/],
    [['--hide', 'nosuch'], /--hide: unknown output group "nosuch"\n {2}fix: groups are: running, stdout/],
    [['--color=maybe'], /--color=maybe: expected no value, or true\/false[\s\S]*fix: write --color or --no-color/],
    [['--set', '=x'], /--set: "=x" has an empty name/],
    [['-H', 'web1:99999'], /host "web1:99999": port "99999" is not a port number/],
    [['-H', '[::1'], /host "\[::1": unbalanced or misplaced brackets/],
  ])('fab %j -- true is a usage error, exit 2, and touches no host', async (opts, message) => {
    // Raw -H hosts are parsed without a host set (in a set, -H names must be its hosts).
    const r = await fab([...(opts[0] === '-H' ? [] : ['lab', '-x', 'web*']), ...opts, '--', 'true']);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).not.toMatch(/internal error|at .*\.js:\d+/);
    expect(r.code).toBe(2);
    expect(r.stdout).toBe('');
  });

  it('takes brackets in -H literally: web[12] is no host of the set, not web1 and web2', async () => {
    const r = await fab(['lab', '-H', 'web[12]', '--', 'true']);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/web\[12\]/);
    expect(r.stdout).not.toMatch(/\[web1\]/);
  });

  it('still matches globs: web? picks web1..web9', async () => {
    const r = await fab(['lab', '-H', 'web?', '-P', '--hide', 'running', '--', 'hostname']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/9 hosts: 9 ok/);
  });
});
