import { describe, expect, it } from 'vitest';
import { parseBinlogInfo, sqlString, stamp, STAMP } from '../../lib/recipes/mysql.js';

describe('mysql recipe builders', () => {
  it('stamps sort by time', () => {
    expect(stamp(new Date('2026-12-02T17:58:01.123Z'))).toBe('2026-12-02_17-58-01');
  });
  it('STAMP matches our dir names only', () => {
    expect(
      ['2026-01-01_00-00-00', '2026-01-01_00-00-00-2', 'notes', '2026-01-01_00-00-00.partial'].filter((n) =>
        STAMP.test(n),
      ),
    ).toEqual(['2026-01-01_00-00-00', '2026-01-01_00-00-00-2']);
  });
  it('parses both binlog info formats', () => {
    expect(parseBinlogInfo('mysql-bin.000003\t1980\t0-1-8\n')).toEqual({
      file: 'mysql-bin.000003',
      pos: 1980,
      gtid: '0-1-8',
    });
    expect(parseBinlogInfo('mysql-bin.000041 23657066')).toEqual({ file: 'mysql-bin.000041', pos: 23657066 });
    expect(() => parseBinlogInfo('garbage')).toThrow(/not "<file> <position>/);
  });
  it('quotes SQL strings', () => {
    expect(sqlString("it's a \\ test")).toBe("'it\\'s a \\\\ test'");
  });
});
