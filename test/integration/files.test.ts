import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, chownSync, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeEach, describe, expect, it } from 'vitest';
import { fabLab } from '../helpers/fab.js';
import { testLab } from '../lab/shared.js';

// Files live on web6 (its own /srv); the test reads them directly from the host's root on this machine.
const HOST = 'web6';
const root = () => join(testLab().hosts[HOST]!.root, 'srv', 'files');
const onHost = (name: string) => join(root(), name);
const remote = (name: string) => `/srv/files/${name}`;
const uid = (user: string) => Number(execFileSync('id', ['-u', user]).toString());
const sha = (p: string) => createHash('sha256').update(readFileSync(p)).digest('hex');
const run = (args: string[], env?: Record<string, string>) => fabLab(['-H', HOST, ...args], env ? { env } : {});

beforeEach(() => {
  rmSync(root(), { recursive: true, force: true });
  mkdirSync(root(), { recursive: true });
  chownSync(root(), uid('fabts'), uid('fabts'));
});

function put(name: string, text: string, owner = 'fabts', mode = 0o644): string {
  const p = onHost(name);
  writeFileSync(p, text);
  chownSync(p, uid(owner), uid(owner));
  chmodSync(p, mode);
  return p;
}

describe('sed, comment, uncomment, append on a real host', () => {
  it('replaces hostile patterns and replacements literally', async () => {
    const before = `q='x' "y" /a/b & \\n $(id) \`id\``;
    const after = `it's "new" /c/ && $HOME \\\\ $(rm -rf /) \`x\`\nsecond line`;
    const p = put('hostile.conf', `start\n${before}\nend\n`);
    const r = await run(['doSed', remote('hostile.conf'), '--before', before, '--after', after]);
    expect(r.stdout).toContain('changed=true matched=1');
    expect(readFileSync(p, 'utf8')).toBe(`start\n${after}\nend\n`);
    expect(readFileSync(`${p}.bak`, 'utf8')).toBe(`start\n${before}\nend\n`);
  });

  it('handles a path with spaces and quotes, and is idempotent byte for byte', async () => {
    const name = `it's a "dir" file.conf`;
    const p = put(name, '    server web1:8080;\n    server web10:8080;\n');
    const first = await run(['doComment', remote(name), '--pattern', 'server web1:']);
    expect(first.stdout).toContain('changed=true matched=1');
    const once = readFileSync(p, 'utf8');
    expect(once).toBe('    #server web1:8080;\n    server web10:8080;\n');
    const second = await run(['doComment', remote(name), '--pattern', 'server web1:']);
    expect(second.stdout).toContain('changed=false matched=1');
    expect(readFileSync(p, 'utf8')).toBe(once);
    await run(['doComment', remote(name), '--pattern', 'server web1:', '--undo']);
    expect(readFileSync(p, 'utf8')).toBe('    server web1:8080;\n    server web10:8080;\n');
  });

  it('replaces the file atomically (new inode), keeping owner and mode, with sudo', async () => {
    const p = put('root.conf', 'a=1\n', 'root', 0o640);
    const inode = statSync(p).ino;
    const r = await run([
      'doSed',
      remote('root.conf'),
      '--before',
      'a=1',
      '--after',
      'a=2',
      '--sudo',
      'yes',
      '--backup',
      'none',
    ]);
    expect(r.code).toBe(0);
    const st = statSync(p);
    expect(readFileSync(p, 'utf8')).toBe('a=2\n');
    expect([st.uid, st.mode & 0o7777]).toEqual([0, 0o640]);
    expect(st.ino).not.toBe(inode);
    expect(existsSync(`${p}.bak`)).toBe(false);
    expect(readdirNoTemp()).toEqual(['root.conf']);
  });

  it('reads a root-only file with sudo, and fails clearly without it', async () => {
    const p = put('secret.conf', 'token=1\n', 'root', 0o600);
    const without = await run(['doSed', remote('secret.conf'), '--before', '1', '--after', '2']);
    expect(without.code).toBe(1);
    expect(without.stdout).toMatch(/secret\.conf: permission denied reading it as fabts; pass \{ sudo: true \}/);
    const auto = await run(['doSed', remote('secret.conf'), '--before', '1', '--after', '2', '--sudo', 'auto']);
    expect(auto.code).toBe(0);
    expect(readFileSync(p, 'utf8')).toBe('token=2\n');
  });

  it('refuses a missing file and creates nothing', async () => {
    const r = await run(['doSed', remote('missing.conf'), '--before', 'a', '--after', 'b']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/missing\.conf: no such file; nothing created/);
    expect(existsSync(onHost('missing.conf'))).toBe(false);
  });

  it('appends missing lines once, after the missing final newline, creating the file', async () => {
    const p = put('app.env', 'A=1');
    await run(['doAppend', remote('app.env'), '--text', "B='two words' $HOME\nA=1"]);
    expect(readFileSync(p, 'utf8')).toBe("A=1\nB='two words' $HOME\n");
    await run(['doAppend', remote('app.env'), '--text', "B='two words' $HOME"]);
    expect(readFileSync(p, 'utf8')).toBe("A=1\nB='two words' $HOME\n");
    await run(['doAppend', remote('new.env'), '--text', 'X=1']);
    expect(readFileSync(onHost('new.env'), 'utf8')).toBe('X=1\n');
  });

  it("expands ~ to the login user's home", async () => {
    const home = execFileSync('sh', ['-c', 'getent passwd fabts | cut -d: -f6']).toString().trim();
    const name = `fab-home-${process.pid}.env`;
    try {
      const r = await run(['doAppend', `~/${name}`, '--text', 'X=1']);
      expect(r.code).toBe(0);
      expect(readFileSync(join(home, name), 'utf8')).toBe('X=1\n');
    } finally {
      rmSync(join(home, name), { force: true });
    }
  });

  it('checks contains and exists', async () => {
    put('c.conf', 'listen 80;\n', 'root', 0o600);
    expect((await run(['probeFile', remote('c.conf'), 'listen 80', '--sudo'])).stdout).toContain(
      'exists=true contains=true',
    );
    expect((await run(['probeFile', remote('none.conf'), 'x'])).stdout).toContain('exists=false contains=false');
  });

  it('installs a rendered template, and names a missing variable', async () => {
    const dir = join(tmpdir(), `fab-tpl-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'site.conf'), 'listen {{ port }}; # on {{host}}\n');
    const r = await run(['template', join(dir, 'site.conf'), remote('site.conf'), '8080']);
    expect(r.code).toBe(0);
    expect(readFileSync(onHost('site.conf'), 'utf8')).toBe(`listen 8080; # on ${HOST}\n`);
    expect(statSync(onHost('site.conf')).mode & 0o777).toBe(0o640);
    writeFileSync(join(dir, 'bad.conf'), '{{ nope }}\n');
    const bad = await run(['template', join(dir, 'bad.conf'), remote('bad.conf'), '1']);
    expect(bad.stdout).toMatch(/template variable "nope"/);
    expect(existsSync(onHost('bad.conf'))).toBe(false);
  });
});

describe('edits that must not happen', () => {
  it('keeps the original byte for byte when the validator fails, and shows its output', async () => {
    const p = put('v.conf', 'keep me\n');
    const before = sha(p);
    const r = await run([
      'doSed',
      remote('v.conf'),
      '--before',
      'keep',
      '--after',
      'lose',
      '--validate',
      'grep -q keep %s || { echo "validator says no" >&2; exit 1; }',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/validation failed[\s\S]*validator says no[\s\S]*original is kept/);
    expect(sha(p)).toBe(before);
    expect(readdirNoTemp()).toEqual(['v.conf']);
  });

  it('fails before writing when the edit matches another number of lines than expected, listing them', async () => {
    const p = put('e.conf', 'server a;\nserver b;\n');
    const r = await run(['doComment', remote('e.conf'), '--pattern', 'server', '--expect', '1']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /expected the edit to match 1 line\(s\), it matched 2; nothing written\s+1: server a;\s+2: server b;/,
    );
    expect(readFileSync(p, 'utf8')).toBe('server a;\nserver b;\n');
  });

  it('retries when someone else changes the file between read and write, keeping their change', async () => {
    const p = put('race.conf', 'base\n');
    const r = await run(['racyEdit', remote('race.conf')]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('changed=true raced=1');
    expect(readFileSync(p, 'utf8')).toBe('base\nother writer 1\nmine\n');
    const many = await run(['racyEdit', remote('race.conf'), '--times', '5']);
    expect(many.code).toBe(1);
    expect(many.stdout).toMatch(/kept changing while we edited it \(3 attempts\); nothing written/);
    expect(readFileSync(p, 'utf8')).toBe(
      'base\nother writer 1\nmine\nother writer 1\nother writer 2\nother writer 3\n',
    );
  });

  it('keeps the original when the disk fills up during the write', async () => {
    const pid = testLab().hosts[HOST]!.pid;
    const mnt = '/srv/files/full';
    mkdirSync(onHost('full'), { recursive: true });
    execFileSync('nsenter', [
      '-t',
      String(pid),
      '-m',
      'mount',
      '-t',
      'tmpfs',
      '-o',
      'size=64k,mode=0777',
      'tmpfs',
      mnt,
    ]);
    try {
      const original = `${'x'.repeat(40_000)}\n`;
      writeFileSync('/tmp/fab-full-src', original);
      execFileSync('nsenter', [
        '-t',
        String(pid),
        '-m',
        'sh',
        '-c',
        `cp /tmp/fab-full-src ${mnt}/big.conf && chown fabts ${mnt}/big.conf`,
      ]);
      const r = await run(['doSed', `${mnt}/big.conf`, '--before', 'xxxx', '--after', 'yyyy', '--backup', 'none']);
      expect(r.code).toBe(1);
      expect(r.stdout).toMatch(/could not write it[\s\S]*original is kept[\s\S]*No space left on device/);
      const after = execFileSync('nsenter', [
        '-t',
        String(pid),
        '-m',
        'sh',
        '-c',
        `cat ${mnt}/big.conf; ls -A ${mnt}`,
      ]).toString();
      expect(after).toBe(`${original}big.conf\n`);
    } finally {
      execFileSync('nsenter', ['-t', String(pid), '-m', 'umount', mnt]);
    }
  });

  it('shows the diff under --dry-run and leaves the file unchanged', async () => {
    const p = put('d.conf', 'server web1;\n');
    const before = sha(p);
    const r = await run(['--dry-run', 'doComment', remote('d.conf'), '--pattern', 'server web1', '--json']);
    expect(r.code).toBe(0);
    const change = r.events.find((e) => e.type === 'file.change');
    expect(change).toMatchObject({ type: 'file.change', changed: true, dryRun: true });
    expect(change?.type === 'file.change' && change.diff).toContain('-server web1;\n+#server web1;');
    expect(sha(p)).toBe(before);
    expect(readdirNoTemp()).toEqual(['d.conf']);
  });
});

function readdirNoTemp(): string[] {
  return execFileSync('ls', ['-A', root()]).toString().split('\n').filter(Boolean);
}
