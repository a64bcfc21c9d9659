import { spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CAT_EXIT, catFile, writeStdin } from '../../lib/commands/small-file.js';
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
