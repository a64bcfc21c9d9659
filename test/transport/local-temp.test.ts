// A download's temp file: renamed into place when whole, removed when the copy fails, and removed when the
// process exits in the middle (fab calls process.exit on a second Ctrl-C, so no `finally` runs then).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { transformSync } from 'esbuild';
import { describe, expect, it } from 'vitest';
import { intoLocalFile, tempNameFor } from '../../lib/transport/local-temp.js';

const fresh = () => mkdtempSync(join(tmpdir(), 'fab-localtemp-'));

describe('intoLocalFile', () => {
  it('writes beside the destination under a hidden name and renames it into place', async () => {
    const dir = fresh();
    let seen = '';
    const bytes = await intoLocalFile(join(dir, 'out.bin'), async (tmp) => {
      seen = tmp;
      writeFileSync(tmp, 'abc');
      return 3;
    });
    expect(bytes).toBe(3);
    expect(seen).toMatch(new RegExp(`^${dir}/\\.out\\.bin\\.fab-get-[0-9a-f]{8}$`));
    expect(readdirSync(dir)).toEqual(['out.bin']);
    expect(tempNameFor(join(dir, 'x'))).not.toBe(tempNameFor(join(dir, 'x')));
  });

  it('removes the temp file and keeps the old destination when the copy fails', async () => {
    const dir = fresh();
    writeFileSync(join(dir, 'out.bin'), 'old');
    const failing = intoLocalFile(join(dir, 'out.bin'), async (tmp) => {
      writeFileSync(tmp, 'part');
      throw new Error('cut');
    });
    await expect(failing).rejects.toThrow('cut');
    expect(readdirSync(dir)).toEqual(['out.bin']);
    expect(readFileSync(join(dir, 'out.bin'), 'utf8')).toBe('old');
  });

  it('removes the temp file when the process exits during the copy', () => {
    const dir = fresh();
    // The module as plain JS (it imports only node:), in a child that starts a copy, writes part of it,
    // then exits as fab's second Ctrl-C does.
    const src = readFileSync(new URL('../../lib/transport/local-temp.ts', import.meta.url), 'utf8');
    const mod = join(dir, '..', `${dir.split('/').pop()}-local-temp.mjs`);
    writeFileSync(mod, transformSync(src, { loader: 'ts', format: 'esm' }).code);
    const script = `
      import { writeFileSync, existsSync } from 'node:fs';
      const { intoLocalFile } = await import(${JSON.stringify(mod)});
      void intoLocalFile(${JSON.stringify(join(dir, 'out.bin'))}, (tmp) => {
        writeFileSync(tmp, 'part');
        console.log(existsSync(tmp) ? 'written' : 'missing');
        setImmediate(() => process.exit(130));
        return new Promise(() => {});
      });`;
    let code = 0;
    let out = '';
    try {
      out = execFileSync(process.execPath, ['--input-type=module', '-e', script], {
        stdio: ['ignore', 'pipe', 'ignore'],
      }).toString();
    } catch (e) {
      const err = e as { status: number; stdout: Buffer };
      code = err.status;
      out = err.stdout.toString();
    }
    rmSync(mod);
    expect([code, out.trim()]).toEqual([130, 'written']);
    expect(readdirSync(dir)).toEqual([]);
    expect(existsSync(join(dir, 'out.bin'))).toBe(false);
  });
});
