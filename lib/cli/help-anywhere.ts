import { relative } from 'node:path';
import { errorMessage } from '../errors.js';
import { targetsOf, type HostSet, type HostTarget } from '../model/hostset.js';
import { findTask, type Registry } from '../registry/load.js';
import type { Task } from '../task/task.js';
import { parseArgv, type ParseContext } from './argv.js';
import { parseTaskWord } from './fabric-grammar.js';
import { describeText } from './help.js';
import { byShort, helpText } from '../config/options.js';

/**
 * `-h`/`--help` anywhere before `--` means help, never a run: `fab prod disableLb web1 --help` shows
 * disableLb's help and touches no host. After `--` it is part of the shell command (`-- ls -h`).
 */

/** A short bundle like `-Ph` asks for help when every letter before `h` is a flag. */
function isHelpToken(tok: string): boolean {
  if (tok === '--help' || tok === '-h') return true;
  if (!/^-[A-Za-z]+$/.test(tok)) return false;
  const at = tok.indexOf('h');
  if (at < 1) return false;
  return [...tok.slice(1, at)].every((c) => byShort.get(c)?.type === 'flag');
}

export function helpRequested(argv: readonly string[]): boolean {
  const dash = argv.indexOf('--');
  return (dash === -1 ? argv : argv.slice(0, dash)).some(isHelpToken);
}

export function withoutHelp(argv: readonly string[]): string[] {
  const dash = argv.indexOf('--');
  const words = dash === -1 ? [...argv] : argv.slice(0, dash);
  return words.filter((t) => !isHelpToken(t));
}

/** Tasks that can run on a set: no declared hosts/roles, or some of them present in the set. */
export function tasksFor(reg: Registry, hosts: readonly HostTarget[]): Task[] {
  return reg.tasks.filter((t) => {
    if (t.spec.roles?.length) return hosts.some((h) => t.spec.roles!.some((r) => h.roles.includes(r)));
    if (t.spec.hosts?.length) return hosts.some((h) => t.spec.hosts!.includes(h.name));
    return true;
  });
}

export async function hostSetHelp(reg: Registry, name: string, hs: HostSet, cwd: string): Promise<string> {
  const out = [`host set ${name} (${relative(cwd, hs.file ?? '') || hs.file})`, ''];
  if (hs.description) out.push(`  ${hs.description}`, '');
  let hosts: HostTarget[];
  try {
    hosts = targetsOf(name, await hs.resolve());
  } catch (err) {
    return [...out, `  cannot list its hosts: ${errorMessage(err)}`].join('\n');
  }
  const w = Math.max(4, ...hosts.map((h) => h.name.length));
  out.push('  hosts:');
  for (const h of hosts) {
    const addr = `${h.user ? `${h.user}@` : ''}${h.address}${h.port ? `:${h.port}` : ''}`;
    out.push(`    ${h.name.padEnd(w)}  ${addr}${h.roles.length ? `  roles: ${h.roles.join(', ')}` : ''}`);
  }
  const roles = [...new Set(hosts.flatMap((h) => h.roles))].sort();
  if (roles.length) {
    out.push('', '  roles:');
    for (const r of roles)
      out.push(
        `    ${r}: ${hosts
          .filter((h) => h.roles.includes(r))
          .map((h) => h.name)
          .join(', ')}`,
      );
  }
  const tasks = tasksFor(reg, hosts);
  out.push('', `  tasks that apply (fab ${name} TASK -h for one):`);
  const tw = Math.max(0, ...tasks.map((t) => t.name!.length));
  for (const t of tasks) out.push(`    ${t.name!.padEnd(tw)}  ${(t.spec.description ?? '').trim().split('\n')[0]}`);
  return out.join('\n');
}

/** The help for what the line names: its tasks, else its host sets, else fab's own help. */
export async function contextHelp(
  reg: Registry,
  argv: readonly string[],
  ctx: ParseContext,
  cwd: string,
  version: string,
): Promise<string> {
  const words = withoutHelp(argv);
  let taskNames: string[] = [];
  let sets: string[] = [];
  try {
    const inv = parseArgv(words, ctx);
    taskNames = inv.tasks.map((t) => t.name);
    sets = inv.hostSets;
  } catch {
    // Half-typed lines (a missing value, an unknown word) still get the help of what they name.
    for (const w of words) {
      if (w.startsWith('-')) continue;
      if (reg.hostSets.has(w) && !taskNames.length) sets.push(w);
      else {
        try {
          const t = findTask(reg, w.includes(':') ? parseTaskWord(w).name : w);
          if (t) taskNames.push(t.name!);
        } catch {
          /* ambiguous or malformed: not a task name */
        }
      }
    }
  }
  if (taskNames.length) return [...new Set(taskNames)].map((n) => describeText(findTask(reg, n)!, cwd)).join('\n\n');
  if (sets.length)
    return (await Promise.all(sets.map((s) => hostSetHelp(reg, s, reg.hostSets.get(s)!, cwd)))).join('\n\n');
  return helpText(version);
}
