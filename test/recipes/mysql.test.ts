import { describe, expect, it } from 'vitest';
import { raw } from '../../lib/commands/quote.js';
import { backupsToRemove, completedOk, parseBinlogInfo, sqlString, stamp, toolCommand } from '../../lib/recipes/mysql.js';

describe('mysql recipe builders', () => {
  it('stamps sort by time', () => {
    expect(stamp(new Date('2026-12-02T17:58:01.123Z'))).toBe('2026-12-02_17-58-01');
  });
  it('keeps the newest N stamped dirs and never touches other names', () => {
    const names = ['2026-01-03_00-00-00', 'notes', '2026-01-01_00-00-00', '2026-01-02_00-00-00', '2026-01-04_00-00-00.partial'];
    expect(backupsToRemove(names, 2)).toEqual(['2026-01-01_00-00-00']);
    expect(backupsToRemove(names, 5)).toEqual([]);
  });
  it('checks the tool success line at the end of the output', () => {
    expect(completedOk('...\n[00] 2026-12-02 17:52:56 completed OK!\n')).toBe(true);
    expect(completedOk('completed OK!\nthen an error\nmore\nand more\n')).toBe(false);
  });
  it('parses both binlog info formats', () => {
    expect(parseBinlogInfo('mysql-bin.000003\t1980\t0-1-8\n')).toEqual({ file: 'mysql-bin.000003', pos: 1980, gtid: '0-1-8' });
    expect(parseBinlogInfo('mysql-bin.000041 23657066')).toEqual({ file: 'mysql-bin.000041', pos: 23657066 });
    expect(() => parseBinlogInfo('garbage')).toThrow(/not "<file> <position>/);
  });
  it('quotes SQL strings', () => {
    expect(sqlString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });
  it('builds mariabackup and innobackupex command lines', () => {
    expect(toolCommand('mariabackup', 'backup', '/b/x y', raw('"$FAB_MY_CNF"')).text).toBe(`mariabackup --defaults-file="$FAB_MY_CNF" --backup --target-dir='/b/x y'`);
    expect(toolCommand('innobackupex', 'prepare', '/b/1', raw('')).text).toBe('innobackupex --apply-log /b/1');
    expect(toolCommand('xtrabackup', 'copy-back', '/b/1', raw('/etc/my.cnf')).text).toBe('xtrabackup --defaults-file=/etc/my.cnf --copy-back --target-dir=/b/1');
  });
});
