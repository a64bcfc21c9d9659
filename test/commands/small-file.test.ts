import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAT_EXIT, catFile, PUT_SHORT, putStdin, writeStdin } from '../../lib/commands/small-file.js';
import type { ShellCommand } from '../../lib/commands/quote.js';

const P = "/etc/my app's.conf";
const Q = `'/etc/my app'\\''s.conf'`;
// Input -> the exact command line, and what the operator is shown of it.
const GOLDEN: [string, ShellCommand, string, string][] = [
  [
    'catFile',
    catFile(P),
    `if [ ! -e ${Q} ]; then exit 10; elif [ -d ${Q} ]; then exit 11; elif [ ! -r ${Q} ]; then exit 12; fi; exec cat -- ${Q}`,
    `(read ${P})`,
  ],
  ['writeStdin', writeStdin(P), `cat > ${Q}`, `(write ${P})`],
  ['writeStdin with a mode', writeStdin(P, 0o640), `(umask 077 && cat > ${Q}) && chmod 0640 -- ${Q}`, `(write ${P})`],
  [
    'putStdin',
    putStdin(P, 1024),
    `d=${Q}; cat > "$d" || exit 1; n=$(wc -c < "$d") && [ $n -eq 1024 ] || ` +
      `{ echo "arrived with $n bytes, 1024 expected" >&2; exit 14; } && printf '%s' "$d"`,
    `(put ${P})`,
  ],
  [
    'putStdin with a mode, into a directory',
    putStdin('/srv/a b/', 3, 0o600, "x'y"),
    `d='/srv/a b/'; [ -d "$d" ] && d='/srv/a b/x'\\''y'; (umask 077 && cat > "$d") || exit 1; ` +
      `n=$(wc -c < "$d") && [ $n -eq 3 ] || { echo "arrived with $n bytes, 3 expected" >&2; exit 14; }` +
      ` && chmod 0600 -- "$d" && printf '%s' "$d"`,
    `(put /srv/a b/)`,
  ],
];

describe('small file builders', () => {
  it.each(GOLDEN)('%s', (_name, cmd, text, display) => {
    expect(cmd.text).toBe(text);
    expect(cmd.display).toBe(display);
  });
});

describe('small file commands in a real shell', () => {
  const base = mkdtempSync(join(tmpdir(), "fabts small '$(x) "));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const run = (cmd: ShellCommand, input?: Buffer) =>
    spawnSync('/bin/sh', ['-c', cmd.text], { ...(input ? { input } : {}) });

  it('reads any bytes back exactly, and names what it could not read', () => {
    const f = join(base, 'bin file');
    const bytes = Buffer.from([0, 255, 10, 13, 39, 36, 40]);
    writeFileSync(f, bytes);
    expect(Buffer.compare(run(catFile(f)).stdout, bytes)).toBe(0);
    expect(CAT_EXIT[run(catFile(join(base, 'none'))).status as keyof typeof CAT_EXIT]).toBe('ENOENT');
    mkdirSync(join(base, 'dir'));
    expect(CAT_EXIT[run(catFile(join(base, 'dir'))).status as keyof typeof CAT_EXIT]).toBe('EISDIR');
  });

  it('writes stdin to the file, with the mode asked for', () => {
    const f = join(base, 'new file');
    const bytes = Buffer.from('secret=1\n\u0000end');
    expect(run(writeStdin(f, 0o600), bytes).status).toBe(0);
    expect(readFileSync(f).equals(bytes)).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o600);
    expect(run(writeStdin(f, 0o644), Buffer.from('two')).status).toBe(0);
    expect(readFileSync(f, 'utf8')).toBe('two');
    expect(statSync(f).mode & 0o777).toBe(0o644);
    chmodSync(f, 0o600);
    expect(run(writeStdin(f), Buffer.from('three')).status).toBe(0);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });
});

describe('putStdin in a real shell', () => {
  const base = mkdtempSync(join(tmpdir(), "fabts put '$(x) "));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const run = (cmd: ShellCommand, input: Buffer) => spawnSync('/bin/sh', ['-c', cmd.text], { input });

  it('writes the bytes, sets the mode and prints the path written', () => {
    const f = join(base, 'a file');
    const bytes = Buffer.from([0, 255, 10, 39, 36]);
    const r = run(putStdin(f, bytes.length, 0o640), bytes);
    expect(r.status).toBe(0);
    expect(r.stdout.toString()).toBe(f);
    expect(readFileSync(f).equals(bytes)).toBe(true);
    expect(statSync(f).mode & 0o777).toBe(0o640);
  });

  it('goes inside an existing directory under the given name, and to the path itself otherwise', () => {
    const dir = join(base, 'dir');
    mkdirSync(dir);
    expect(run(putStdin(`${dir}/`, 2, undefined, 'n.txt'), Buffer.from('hi')).stdout.toString()).toBe(`${dir}/n.txt`);
    expect(readFileSync(join(dir, 'n.txt'), 'utf8')).toBe('hi');
    const plain = join(base, 'plain');
    expect(run(putStdin(plain, 2, undefined, 'n.txt'), Buffer.from('ho')).stdout.toString()).toBe(plain);
    expect(readFileSync(plain, 'utf8')).toBe('ho');
  });

  it('fails with PUT_SHORT when fewer bytes arrive than announced, before setting the mode', () => {
    const f = join(base, 'short');
    const r = run(putStdin(f, 10, 0o644), Buffer.from('abc'));
    expect(r.status).toBe(PUT_SHORT);
    expect(r.stderr.toString()).toMatch(/arrived with 3 bytes, 10 expected/);
    expect(statSync(f).mode & 0o777).toBe(0o600);
  });

  it('fails on a missing folder with the shell naming it', () => {
    const r = run(putStdin(join(base, 'no/such/f'), 1), Buffer.from('x'));
    expect(r.status).toBe(1);
    expect(r.stderr.toString()).toMatch(/no\/such\/f/);
  });
});
