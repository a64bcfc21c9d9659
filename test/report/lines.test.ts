import { describe, expect, it } from 'vitest';
import { LineSplitter } from '../../lib/report/lines.js';

const split = (chunks: (string | Buffer)[], max?: number): string[] => {
  const lines: string[] = [];
  const s = new LineSplitter((l) => lines.push(l), max);
  for (const c of chunks) s.push(c);
  s.flush();
  return lines;
};

describe('LineSplitter', () => {
  it('joins lines split over chunks, drops CR of CRLF, keeps the last partial line', () => {
    expect(split(['a', 'b\nc\r', '\n\nd'])).toEqual(['ab', 'c', '', 'd']);
  });

  it('decodes a UTF-8 character split between chunks', () => {
    const b = Buffer.from('é\n');
    expect(split([b.subarray(0, 1), b.subarray(1)])).toEqual(['é']);
  });

  it('cuts a line longer than the display cap and counts the bytes left out', () => {
    expect(split(['x'.repeat(4), 'x'.repeat(6), 'é\nok\n'], 5)).toEqual(['xxxxx [... 7 bytes]', 'ok']);
    expect(split(['y'.repeat(12)], 10)).toEqual(['yyyyyyyyyy [... 2 bytes]']);
  });

  it('splits a 40 MB line arriving in 64 KiB chunks in linear time', () => {
    const chunk = 'z'.repeat(65536);
    const lines: string[] = [];
    const s = new LineSplitter((l) => lines.push(l));
    // 640 chunks: the quadratic splitter re-scanned and copied the whole buffer per chunk (minutes, GBs).
    for (let i = 0; i < 640; i++) s.push(chunk);
    s.push('\nend\n');
    expect(lines).toEqual([`${'z'.repeat(1024 * 1024)} [... ${640 * 65536 - 1024 * 1024} bytes]`, 'end']);
  });
});
