import { UsageError } from '../errors.js';
import { listRuns, runsDir, summarizeRun } from '../rolling/journal.js';
import { join } from 'node:path';
import { existsSync } from 'node:fs';

/** `fab runs`: one line per rolling run, newest last, with how it ended and where each host got to. */
export function runsCommand(root: string): string {
  const runs = listRuns(root);
  if (!runs.length) return `no rolling runs in ${runsDir(root)}\n`;
  return runs
    .map((r) => {
      const states = [...r.hosts.values()].map((h) => `${h.host}:${h.state}`).join(' ');
      const torn = r.torn ? ` (${r.torn} torn line${r.torn > 1 ? 's' : ''} ignored)` : '';
      return `${r.id}  ${r.start?.time ?? '?'}  ${r.start?.task ?? '?'}  ${r.outcome}${torn}\n    ${states}\n`;
    })
    .join('');
}

/** The command line of a recorded run, to run again with its journal. */
export function resumeArgv(root: string, id: string | undefined): string[] {
  if (!id) throw new UsageError('fab resume needs a run id', 'fab runs lists them');
  const file = join(runsDir(root), `${id}.ndjson`);
  if (!existsSync(file)) throw new UsageError(`no rolling run ${id} in ${runsDir(root)}`, 'fab runs lists them');
  const run = summarizeRun(file);
  if (!run.start) throw new UsageError(`run ${id} has no readable start record`, `look at ${file}`);
  if (run.outcome === 'complete') throw new UsageError(`run ${id} is complete; nothing to resume`);
  return run.start.argv;
}
