import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import * as fr from '../../lib/commands/file-read.js';
import { homeDir } from '../../lib/commands/probes.js';
import type { ShellCommand } from '../../lib/commands/quote.js';

const P = '/etc/my app.conf';
// Input -> the exact command line, and what the operator is shown of it.
const GOLDEN: [string, ShellCommand, string, string?][] = [
  ['readBase64', fr.readBase64(P), `[ -f '${P}' ] || exit 3; base64 -w0 -- '${P}'`],
  [
    'readForEdit',
    fr.readForEdit(P),
    `if [ -f '${P}' ]; then base64 -w0 -- '${P}'; elif [ -e '${P}' ]; then echo notafile; exit 3; else echo absent; fi`,
    `(read ${P})`,
  ],
  ['pathExists', fr.pathExists(P), `test -e '${P}'`],
  [
    'canReplace',
    fr.canReplace(P),
    `{ [ ! -e '${P}' ] || { [ -r '${P}' ] && [ -O '${P}' ]; }; } && [ -w /etc ]`,
    `(can the login user replace ${P}?)`,
  ],
  ['homeDir', homeDir().command, 'printf %s "$HOME"', '(home directory)'],
];

describe('file read builders', () => {
  it.each(GOLDEN)('%s', (_name, cmd, text, display = text) => {
    expect(cmd.text).toBe(text);
    expect(cmd.display).toBe(display);
  });
});

describe('file reads in a real shell', () => {
  const base = mkdtempSync(join(tmpdir(), 'fabts read '));
  afterAll(() => rmSync(base, { recursive: true, force: true }));
  const sh = (cmd: ShellCommand) => spawnSync('/bin/sh', ['-c', cmd.text], { encoding: 'utf8' });
  const bytes = Buffer.from([0, 1, 2, 255, 10, 13, 39, 36]);

  it('round-trips any bytes, and tells a missing file from a directory', () => {
    const file = join(base, `it's.bin`);
    writeFileSync(file, bytes);
    mkdirSync(join(base, 'dir'));
    const read = (p: string) => {
      const r = sh(fr.readForEdit(p));
      return fr.parseReadForEdit(r.stdout, r.status);
    };
    expect(read(file)).toEqual({ kind: 'file', data: bytes });
    expect(read(join(base, 'none'))).toEqual({ kind: 'absent' });
    expect(read(join(base, 'dir'))).toEqual({ kind: 'notafile' });
    expect(fr.parseReadForEdit('', 1)).toEqual({ kind: 'error' });
    expect(Buffer.from(sh(fr.readBase64(file)).stdout, 'base64')).toEqual(bytes);
    expect(sh(fr.readBase64(join(base, 'none'))).status).toBe(fr.ABSENT_EXIT);
    expect(sh(fr.pathExists(join(base, 'dir'))).status).toBe(0);
    expect(sh(fr.canReplace(file)).status).toBe(0);
    expect(sh(fr.canReplace(join(base, 'no-dir', 'x'))).status).toBe(1); // no folder to write in
  });
});
