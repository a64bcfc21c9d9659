import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  appendText,
  commentText,
  containsText,
  renderTemplate,
  sedText,
  uncommentText,
} from '../../lib/files/transforms.js';
import { COMMITTED, commitScript, EXIT, STARTED } from '../../lib/files/commit-script.js';

const NGINX = `upstream app {
    server web1:8080;
    server web10:8080 weight=3 max_fails=2;
    server web1.example.com:8080;
    #server web2:8080;
}
`;
const backend = (name: string) => new RegExp(`^server ${name.replace(/\./g, '\\.')}(:\\d+)?(\\s[^;]*)?;`);

describe('comment / uncomment', () => {
  it('comments only the whole backend, keeping indentation and parameters', () => {
    const r = commentText(NGINX, backend('web1'));
    expect(r.text).toBe(NGINX.replace('    server web1:8080;', '    #server web1:8080;'));
    expect(r.matched).toBe(1);
    expect(commentText(NGINX, backend('web10')).text).toContain('    #server web10:8080 weight=3 max_fails=2;');
  });

  it('is idempotent: an already commented line matches but does not change', () => {
    const once = commentText(NGINX, backend('web1')).text;
    const twice = commentText(once, backend('web1'));
    expect(twice.text).toBe(once);
    expect(twice.matched).toBe(1);
    expect(commentText(NGINX, backend('web2')).text).toBe(NGINX);
  });

  it('uncomments, keeping indentation, idempotently', () => {
    const r = uncommentText(NGINX, backend('web2'));
    expect(r.text).toContain('\n    server web2:8080;\n');
    expect(uncommentText(r.text, backend('web2')).text).toBe(r.text);
    expect(uncommentText(NGINX, backend('web9')).matched).toBe(0);
  });

  it('treats a string pattern literally', () => {
    const text = 'a.b = 1\naxb = 2\n';
    expect(commentText(text, 'a.b').text).toBe('#a.b = 1\naxb = 2\n');
  });
});

describe('sed', () => {
  it('replaces literally: quotes, slashes, &, $, backslashes, $() and newlines are text', () => {
    const before = `say 'hi' "/x" & $HOME \\n $(id) \`id\``;
    const after = `it's "a/b" & $1 \\\\ $(rm -rf /)\nsecond line`;
    const r = sedText(`start\n${before}\nend\n`, before, after);
    expect(r.text).toBe(`start\n${after}\nend\n`);
    expect(r.matched).toBe(1);
  });

  it('applies ^ per line, a limit, flags and group functions', () => {
    const text = 'port 80\nhost a\nport 81\n';
    expect(sedText(text, /^port (\d+)/, (_m, p) => `port ${Number(p) + 1000}`).text).toBe(
      'port 1080\nhost a\nport 1081\n',
    );
    expect(sedText(text, /\d+/, 'N', { limit: 'port 81' }).text).toBe('port 80\nhost a\nport N\n');
    expect(sedText(text, 'PORT', 'x', { flags: 'i' }).matched).toBe(2);
  });

  it('matches across lines when the pattern has a newline', () => {
    expect(sedText('a\nb\nc\n', 'a\nb', 'ab').text).toBe('ab\nc\n');
  });
});

describe('append / contains / templates', () => {
  it('adds missing lines once, after the missing final newline', () => {
    const r = appendText('x = 1', ['y = 2', 'x = 1', "it's $HOME"]);
    expect(r.text).toBe(`x = 1\ny = 2\nit's $HOME\n`);
    expect(appendText(r.text, ['y = 2', "it's $HOME"]).text).toBe(r.text);
    expect(appendText('', 'only').text).toBe('only\n');
    expect(appendText('x = 10\n', 'x = 1', true).matched).toBe(0);
  });

  it('finds text by substring, whole line, RegExp and case', () => {
    expect(containsText('server web1;\n', 'web1')).toBe(true);
    expect(containsText('server web1;\n', 'web1', { exact: true })).toBe(false);
    expect(containsText('server web1;\n', 'SERVER', { caseSensitive: false })).toBe(true);
    expect(containsText('a.b\n', 'a.b', { exact: true })).toBe(true);
    expect(containsText('axb\n', 'a.b')).toBe(false);
  });

  it('renders {{ names }} and names a missing one', () => {
    expect(renderTemplate('listen {{ port }}; # {{host}}', { port: 80, host: "it's" }, 't')).toBe("listen 80; # it's");
    expect(() => renderTemplate('{{ nope }}', {}, 'site.conf.tpl')).toThrow(
      /site\.conf\.tpl: template variable "nope"/,
    );
  });
});

describe('commit script', () => {
  it('is valid sh for hostile paths and options', () => {
    const script = commitScript({
      path: `/srv/a dir/it's "x".conf`,
      upload: '/tmp/.fab-edit-1',
      expectHash: 'abc',
      sudo: true,
      validate: 'nginx -t -q -c %s',
      backup: `.b'ak`,
      owner: 'root',
    });
    expect(() => execFileSync('sh', ['-n', '-c', script])).not.toThrow();
    expect(script).toContain(`f='/srv/a dir/it'\\''s "x".conf'`);
    expect(script).toContain('nginx -t -q -c "$tmp"');
  });

  it('without an upload, takes the new content from stdin and replaces the file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-commit-'));
    const f = join(dir, "it's.conf");
    writeFileSync(f, 'old\n', { mode: 0o640 });
    const want = createHash('sha256').update('old\n').digest('hex');
    const script = commitScript({ path: f, expectHash: want, sudo: false });
    execFileSync('sh', ['-c', script], { input: 'new\n' });
    expect([readFileSync(f, 'utf8'), statSync(f).mode & 0o777, readdirSync(dir)]).toEqual([
      'new\n',
      0o640,
      ["it's.conf"],
    ]);
    rmSync(dir, { recursive: true });
  });

  it('started before the read came back, takes the hash as its first stdin line; no line: changes nothing', () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-commit-'));
    const f = join(dir, 'app.conf');
    writeFileSync(f, 'old\n', { mode: 0o640 });
    const want = createHash('sha256').update('old\n').digest('hex');
    const script = commitScript({
      path: f,
      expectHash: undefined,
      sudo: false,
      backup: '.bak',
      after: 'echo after; exit 7',
    });
    const run = (input: string) => spawnSync('sh', ['-c', script], { input, encoding: 'utf8' });
    // Nothing sent (the edit found nothing to change, or a check refused): exit aborted, nothing touched.
    expect([run('').status, readFileSync(f, 'utf8'), readdirSync(dir)]).toEqual([EXIT.aborted, 'old\n', ['app.conf']]);
    expect(run(`${'0'.repeat(64)}\nnew\n`).status).toBe(EXIT.changed); // another hash: someone else wrote it
    expect(readFileSync(f, 'utf8')).toBe('old\n');
    const r = run(`${want}\nnew\n`);
    // Replaced (backup kept), then `after` ran: its output after the mark, its status the script's.
    expect([r.status, r.stdout, readFileSync(f, 'utf8'), readFileSync(`${f}.bak`, 'utf8')]).toEqual([
      7,
      `${STARTED}\n${COMMITTED}\nafter\n`,
      'new\n',
      'old\n',
    ]);
    expect(statSync(f).mode & 0o777).toBe(0o640);
    rmSync(dir, { recursive: true });
  });

  it('stopped by a signal while it writes (a second Ctrl-C), leaves the file and no temp file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'fab-commit-'));
    const f = join(dir, 'app.conf');
    writeFileSync(f, 'old\n');
    const want = createHash('sha256').update('old\n').digest('hex');
    const script = commitScript({ path: f, expectHash: undefined, sudo: false });
    // Its own process group, as sshd gives a session: the signal goes to the group, as sshd's killpg does.
    const child = spawn('sh', ['-c', script], { detached: true, stdio: ['pipe', 'ignore', 'ignore'] });
    const exited = new Promise((r) => child.on('exit', (code, sig) => r(code ?? sig)));
    child.stdin.write(`${want}\nhalf of the new`); // stdin stays open: the script is inside its `cat > "$tmp"`
    for (let i = 0; i < 200 && readdirSync(dir).length < 2; i++) await new Promise((r) => setTimeout(r, 10));
    expect(readdirSync(dir)).toHaveLength(2); // the temp file is there
    process.kill(-child.pid!, 'SIGTERM');
    expect(await exited).toBe(129);
    expect([readFileSync(f, 'utf8'), readdirSync(dir)]).toEqual(['old\n', ['app.conf']]);
    rmSync(dir, { recursive: true });
  });
});
