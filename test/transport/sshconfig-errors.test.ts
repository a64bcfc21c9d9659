import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { UsageError } from '../../lib/errors.js';
import { SshConfigFile } from '../../lib/transport/sshconfig.js';

const dir = mkdtempSync(join(tmpdir(), 'fabts-sshcfg-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const load = async (text: string) => {
  const f = join(dir, `c${Math.random().toString(36).slice(2)}`);
  writeFileSync(f, text);
  return { f, cfg: await SshConfigFile.load(f) };
};

describe('ssh_config: bad input is a usage error naming the file and line', () => {
  it.each([
    ['Host a\n  Match tagged x\n', ':2: Match tagged: not supported by fab'],
    ['Host a\n  Port\n', ':2: port: missing argument'],
    ['Host a\n  User "unterminated\n', ':2: unterminated quote'],
    ['Match host\n', ':1: Match host: missing argument'],
    ['Host a\n  Port 22x\n', 'Port 22x for a: not a number'],
  ])('%j', async (text, message) => {
    const { f, cfg } = await load(text);
    const err = (() => {
      try {
        cfg.lookup('a');
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(UsageError);
    expect((err as Error).message).toContain(f);
    expect((err as Error).message).toContain(message);
  });

  it('stops an Include loop', async () => {
    const f = join(dir, 'loop');
    writeFileSync(f, `Include ${f}\n`);
    const cfg = await SshConfigFile.load(f);
    expect(() => cfg.lookup('a')).toThrow(/Include nested more than 16 deep/);
  });

  it('an Include that matches nothing is ignored, as by ssh', async () => {
    const { cfg } = await load(`Include ${dir}/nothing-*.conf\nHost a\n  Port 2200\n`);
    expect(cfg.lookup('a').port).toBe(2200);
  });
});
