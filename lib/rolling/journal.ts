import { appendFileSync, mkdirSync, readdirSync, readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';
import { join } from 'node:path';

/**
 * The journal of a rolling run: `.fab/runs/<id>.ndjson`, one JSON record per line followed by its
 * CRC32, so a line torn by a crash is recognised and ignored (the "checksummed log" pattern).
 * Records are appended with one write each; nothing is ever rewritten.
 */

import type { RollingState } from '../report/events.js';

export type JournalRecord =
  | {
      kind: 'start';
      id: string;
      time: string;
      user: string;
      task: string;
      argv: string[];
      hosts: string[];
      batches: string[][];
      cwd: string;
    }
  | { kind: 'step'; time: string; host: string; state: RollingState; step?: string; detail?: string; release?: string }
  | { kind: 'end'; time: string; outcome: 'complete' | 'halted' | 'interrupted' };

const line = (rec: JournalRecord): string => {
  const json = JSON.stringify(rec);
  return `${json} ${crc32(Buffer.from(json)).toString(16).padStart(8, '0')}\n`;
};

export function runsDir(root: string): string {
  return join(root, '.fab', 'runs');
}

export class Journal {
  constructor(readonly file: string) {}

  static create(root: string, id: string): Journal {
    mkdirSync(runsDir(root), { recursive: true });
    return new Journal(join(runsDir(root), `${id}.ndjson`));
  }

  append(rec: JournalRecord): void {
    appendFileSync(this.file, line(rec));
  }
}

export interface ReadJournal {
  records: JournalRecord[];
  /** Lines that failed their checksum (a torn last line after a crash). */
  torn: number;
}

export function readJournal(file: string): ReadJournal {
  const out: ReadJournal = { records: [], torn: 0 };
  for (const raw of readFileSync(file, 'utf8').split('\n')) {
    if (raw === '') continue;
    const sp = raw.lastIndexOf(' ');
    const json = raw.slice(0, sp);
    const sum = raw.slice(sp + 1);
    if (sp === -1 || crc32(Buffer.from(json)).toString(16).padStart(8, '0') !== sum) {
      out.torn++;
      continue;
    }
    out.records.push(JSON.parse(json) as JournalRecord);
  }
  return out;
}

export interface RunSummary {
  id: string;
  file: string;
  start?: Extract<JournalRecord, { kind: 'start' }>;
  outcome: 'complete' | 'halted' | 'interrupted' | 'running or crashed';
  hosts: Map<string, Extract<JournalRecord, { kind: 'step' }>>;
  torn: number;
}

/** The last known state of each host, and how the run ended. */
export function summarizeRun(file: string): RunSummary {
  const { records, torn } = readJournal(file);
  const id = file.replace(/^.*\//, '').replace(/\.ndjson$/, '');
  const s: RunSummary = { id, file, outcome: 'running or crashed', hosts: new Map(), torn };
  for (const r of records) {
    if (r.kind === 'start') s.start = r;
    else if (r.kind === 'step') s.hosts.set(r.host, r);
    else s.outcome = r.outcome;
  }
  return s;
}

export function listRuns(root: string): RunSummary[] {
  let files: string[];
  try {
    files = readdirSync(runsDir(root)).filter((f) => f.endsWith('.ndjson'));
  } catch {
    return [];
  }
  return files.sort().map((f) => summarizeRun(join(runsDir(root), f)));
}
