import { EventBus, type FabEvent } from '../../lib/report/events.js';
import type { RunConfig } from '../../lib/run/runner.js';
import { secret } from '../../lib/commands/quote.js';

/** A RunConfig and the list of events it emitted, for unit tests of the runner and context. */
export function testConfig(over: Partial<Omit<RunConfig, 'sudoPassword'>> & { password?: string } = {}): {
  cfg: RunConfig;
  events: FabEvent[];
} {
  const bus = over.events ?? new EventBus();
  const events: FabEvent[] = [];
  bus.subscribe((e) => events.push(e));
  if (over.password) bus.addSecret(over.password);
  const cfg: RunConfig = {
    events: bus,
    warnOnly: over.warnOnly ?? false,
    dryRun: over.dryRun ?? false,
    signal: over.signal ?? new AbortController().signal,
    marks: over.marks ?? { prompt: '[fab-sudo-x1] password: ', start: 'fab-start-x1' },
    ...(over.password ? { sudoPassword: secret(over.password) } : {}),
    ...(over.commandTimeoutMs ? { commandTimeoutMs: over.commandTimeoutMs } : {}),
  };
  return { cfg, events };
}
