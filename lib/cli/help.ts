import { relative } from 'node:path';
import { describeArg } from '../model/args.js';
import type { Registry } from '../registry/load.js';
import type { Task } from '../task/task.js';

const firstLine = (s?: string) => (s ?? '').trim().split('\n')[0] ?? '';

/** `fab --list`: tasks grouped by fabfile with their one-line descriptions, then the host sets. */
export function listText(reg: Registry, cwd: string, explicit: readonly string[] = []): string {
  const out: string[] = [];
  if (!reg.tasks.length) {
    // With -f, say where fab looked: the default search path was not used.
    const where = explicit.length
      ? `in ${explicit.join(', ')} (from -f)`
      : '(looked for ./fabfiles/ or ./fabfile.ts, upwards from here; use -f PATH)';
    out.push(`No tasks found ${where}.`);
  }
  const byFile = new Map<string, Task[]>();
  for (const t of reg.tasks) byFile.set(t.file!, [...(byFile.get(t.file!) ?? []), t]);
  const width = Math.max(0, ...reg.tasks.map((t) => t.shortName!.length));
  for (const [file, tasks] of byFile) {
    out.push(`${relative(cwd, file) || file}:`);
    for (const t of tasks) out.push(`    ${t.shortName!.padEnd(width)}  ${firstLine(t.spec.description)}`);
  }
  if (reg.hostSets.size) {
    out.push('', 'Host sets:');
    const w = Math.max(...[...reg.hostSets.keys()].map((k) => k.length));
    for (const [name, hs] of reg.hostSets) out.push(`    ${name.padEnd(w)}  ${firstLine(hs.description)}`);
  }
  return out.join('\n');
}

/** `fab -d TASK`: description, where it runs, usage and typed arguments. */
export function describeText(t: Task, cwd: string): string {
  const args = Object.entries(t.spec.args ?? {});
  const positional = args.map(([n, s]) => (s.hasDefault ? `[${n}]` : `<${n}>`)).join(' ');
  const runsOn = t.spec.roles?.length
    ? `role ${t.spec.roles.join(', ')}`
    : t.spec.hosts?.length
      ? `hosts ${t.spec.hosts.join(', ')}`
      : 'the selected hosts';
  const lines = [
    `${t.name} (${relative(cwd, t.file!) || t.file})`,
    '',
    ...(t.spec.description ?? '(no description)')
      .trim()
      .split('\n')
      .map((l) => `  ${l.trim()}`),
    '',
    `  runs on: ${runsOn}${t.spec.runsOnce ? ' (once)' : ''}${t.spec.parallel ? ' (in parallel)' : ''}`,
    `  usage:   fab [HOSTSET] ${t.shortName}${positional ? ` ${positional}` : ''}`,
  ];
  if (args.length) {
    lines.push(
      `           fab [HOSTSET] ${t.shortName}:${args.map(([n]) => `${n}=VALUE`).join(',')}`,
      '',
      '  arguments:',
    );
    for (const [n, s] of args) lines.push(`    ${describeArg(n, s)}`);
  } else lines.push('', '  no arguments');
  return lines.join('\n');
}
