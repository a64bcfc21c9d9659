import { AbortError } from '../errors.js';
import type { Prompts } from '../run/prompts.js';
import type { Plan } from './plan.js';

/** `task({ confirm: 'Drain {hosts}?' })`: every guard of the plan, asked before any task runs anywhere. */
export async function confirmGuards(plan: Plan, prompts: Prompts): Promise<void> {
  for (const step of plan.steps) {
    const text = step.task.spec.confirm;
    if (!text) continue;
    const question = text
      .split('{hosts}')
      .join(step.hosts.map((h) => h.name).join(', ') || '(no hosts)')
      .split('{task}')
      .join(step.task.name!);
    if (!(await prompts.confirm(question))) throw new AbortError(`not confirmed: ${question} (nothing was run)`);
  }
}
