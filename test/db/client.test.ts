import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { secret } from '../../lib/commands/quote.js';
import { cnfLines, defaultsFileText, parseBatch, withDefaultsFile } from '../../lib/db/client.js';

describe('defaultsFileText', () => {
  it('writes the login into [client] and the backup tools groups, quoted, after an !include', () => {
    const t = defaultsFileText({
      user: 'bk',
      password: secret('p"w\\x'),
      socket: '/run/mysqld/mysqld.sock',
      include: '/etc/mysql/my.cnf',
    });
    expect(t.split('\n')[0]).toBe('!include /etc/mysql/my.cnf');
    expect(t).toContain('[client]\nuser="bk"\npassword="p\\"w\\\\x"\nsocket="/run/mysqld/mysqld.sock"\n');
    expect(t).toContain('[mariabackup]\nuser="bk"');
    expect(t).toContain('[xtrabackup]\nuser="bk"');
  });
  it('refuses a newline in a value (it would add options)', () => {
    expect(() => defaultsFileText({ user: 'a\nplugin-dir=/tmp' })).toThrow(/newline/);
  });
});

describe('withDefaultsFile (run by sh here)', () => {
  it('reads exactly the file from stdin, leaves the rest to the command, uses 0600 in a 0700 dir, removes it', () => {
    // a backslash, leading and trailing blanks and a line without a value are kept byte for byte
    const cnf = '!include /etc/my.cnf\n[client]\n  password="s3\\\\cr et" \n\n';
    const out = mkdtempSync(`${tmpdir()}/fab-test-`);
    const script = withDefaultsFile(
      cnfLines(cnf),
      `stat -c %a "$FAB_MY_CNF" "$(dirname "$FAB_MY_CNF")" > ${out}/modes; cat "$FAB_MY_CNF" > ${out}/cnf; echo "$FAB_MY_CNF" > ${out}/path; cat > ${out}/rest`,
    );
    execFileSync('sh', ['-c', script], { input: `${cnf}SELECT 1;\n` });
    expect(readFileSync(`${out}/modes`, 'utf8').split('\n').slice(0, 2)).toEqual(['600', '700']);
    expect(readFileSync(`${out}/cnf`, 'utf8')).toBe(cnf);
    expect(readFileSync(`${out}/rest`, 'utf8')).toBe('SELECT 1;\n');
    expect(existsSync(readFileSync(`${out}/path`, 'utf8').trim())).toBe(false);
  });
  it('fails (97) without running the command when stdin ends before the file does', () => {
    const out = mkdtempSync(`${tmpdir()}/fab-test-`);
    const script = withDefaultsFile(3, `touch ${out}/ran`);
    expect(spawnSync('sh', ['-c', script], { input: '[client]\n' }).status).toBe(97);
    expect(existsSync(`${out}/ran`)).toBe(false);
  });
  it('puts no secret on the command line: the script has none', () => {
    expect(withDefaultsFile(40, 'mariadb --defaults-file="$FAB_MY_CNF"')).not.toMatch(/password/);
  });
});

describe('parseBatch', () => {
  it('parses header and rows, NULL and escapes', () => {
    expect(parseBatch('id\tnote\n1\ta\\tb\n2\tNULL\n3\tline\\nnext\n')).toEqual([
      { id: '1', note: 'a\tb' },
      { id: '2', note: null },
      { id: '3', note: 'line\nnext' },
    ]);
  });
  it('gives no rows for a statement without a result', () => {
    expect(parseBatch('')).toEqual([]);
  });
});
