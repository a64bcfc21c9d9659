import { UsageError } from '../errors.js';

/**
 * Batch planning and the failure rule, pure and small enough to state in one paragraph:
 *
 * Batches: `batch` is a size or a list of sizes; a size is a number of hosts or a percentage of
 * all hosts of the run, rounded down, at least 1. The list is used in order and its last size
 * repeats: with 10 hosts, [1, '25%', '50%'] gives batches of 1, 2, 5, 2. The first batch is the canary.
 *
 * Failures: `maxFailures` is how many hosts may fail over the whole run (a number, or a percentage
 * of all hosts, rounded down). Hosts of a batch run together and each finishes its steps; after a
 * batch, if more hosts have failed than allowed, the run halts and later batches are not touched.
 * The default, 0, halts after the first batch with a failure.
 */

export type Size = number | `${number}%`;

function sizeOf(size: Size | string, total: number, what: string): number {
  if (typeof size === 'number') {
    if (!Number.isInteger(size) || size < 0)
      throw new UsageError(`${what}: ${size} is not a whole number of hosts`, 'use e.g. 2 or "25%"');
    return size;
  }
  const m = /^(\d+(?:\.\d+)?)%$/.exec(size.trim());
  if (!m)
    throw new UsageError(`${what}: "${size}" is neither a number of hosts nor a percentage`, 'use e.g. 2 or "25%"');
  return Math.floor((total * Number(m[1])) / 100);
}

export function planBatches<T>(hosts: readonly T[], batch: Size | string | readonly (Size | string)[] = 1): T[][] {
  const sizes = (Array.isArray(batch) ? batch : [batch]) as (Size | string)[];
  if (!sizes.length) throw new UsageError('batch: empty list', 'give at least one size, e.g. [1, "50%"]');
  const out: T[][] = [];
  let i = 0;
  for (let b = 0; i < hosts.length; b++) {
    const n = Math.max(1, sizeOf(sizes[Math.min(b, sizes.length - 1)]!, hosts.length, 'batch'));
    out.push(hosts.slice(i, i + n));
    i += n;
  }
  return out;
}

export function failureBudget(maxFailures: Size | string, total: number): number {
  return sizeOf(maxFailures, total, 'maxFailures');
}

export const overBudget = (failed: number, budget: number): boolean => failed > budget;
