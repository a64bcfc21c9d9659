/**
 * Round trips through the latency proxies: the proxy counts a "turn" each time a client sends after it received
 * server data. Counted per timed run, divided by the hosts: how many RTTs each tool spends per host on a job.
 */
import { median } from '../measure.js';
import type { Job } from './jobs.js';

export interface TurnCounter {
  counters(): { turns: number };
  resetCounters(): void;
}

/** The cases, each counting its turns per run into `turns[name]` (the untimed before/after steps left out). */
export function countTurns(cases: Record<string, Job>, proxies: TurnCounter, turns: Record<string, number[]>) {
  return Object.fromEntries(
    Object.entries(cases).map(([name, job]) => {
      turns[name] = [];
      const counted: Job = {
        ...job,
        before: async () => {
          await job.before?.();
          proxies.resetCounters();
        },
        after: async () => {
          turns[name]!.push(proxies.counters().turns);
          await job.after?.();
        },
      };
      return [name, counted];
    }),
  );
}

/** `name: N per host` lines, the median run's count divided by the number of hosts. */
export const turnsReport = (turns: Record<string, number[]>, hosts: number): string =>
  Object.entries(turns)
    .map(([name, t]) => `- ${name}: ${(median(t) / hosts).toFixed(1)} per host`)
    .join('\n');
