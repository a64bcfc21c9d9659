/**
 * Values of fab's options, checked once they are all known (from the command line, or from any other
 * source of defaults): a bad value is a usage error naming the option and the fix (exit 2), before
 * anything connects. Kept apart from the parser so every source of option values goes through it.
 */
import { UsageError } from '../errors.js';
import { GROUPS } from '../report/groups.js';
import { parseSetOption } from './fabric-grammar.js';
import type { FabOptions } from '../config/options.js';
import { parseShard } from '../exec/shard.js';

const GROUP_WORDS = [...GROUPS, 'output', 'everything'];

function whole(name: string, v: number | undefined, min: number, max: number, fix: string): void {
  if (v === undefined) return;
  if (!Number.isInteger(v) || v < min || v > max)
    throw new UsageError(`${name} ${v}: expected a whole number from ${min} to ${max}`, fix);
}

function positive(name: string, v: number | undefined, fix: string): void {
  if (v !== undefined && !(v > 0)) throw new UsageError(`${name} ${v}: expected more than 0 seconds`, fix);
}

export function checkOptions(o: FabOptions): void {
  whole('--pool-size (-z)', o.poolSize, 1, 10_000, 'give the number of hosts to run at once, e.g. -P -z 5');
  whole('--port', o.port, 1, 65_535, 'use a port from 1 to 65535, e.g. --port 2222');
  whole('--connection-attempts (-n)', o.connectionAttempts, 1, 100, 'give how many times to try each host, e.g. -n 3');
  positive('--timeout (-t)', o.timeout, 'give the connect timeout in seconds, e.g. -t 10');
  positive(
    '--command-timeout (-T)',
    o.commandTimeout,
    'give the command timeout in seconds, e.g. -T 60, or leave it out for none',
  );
  for (const [flag, list] of [
    ['--hide', o.hide],
    ['--show', o.show],
  ] as const) {
    const bad = list.filter((g) => !GROUP_WORDS.includes(g));
    if (bad.length)
      throw new UsageError(
        `${flag}: unknown output group ${bad.map((g) => `"${g}"`).join(', ')}`,
        `groups are: ${GROUP_WORDS.join(', ')}`,
      );
  }
  if (o.sshClient !== undefined && o.sshClient !== 'ssh2' && o.sshClient !== 'openssh') {
    throw new UsageError(
      `--ssh-client ${o.sshClient}: expected ssh2 or openssh`,
      'use --ssh-client openssh for the system ssh client, or leave it out',
    );
  }
  // Checked here so a bad value fails before anything runs, whichever client keeps the connections.
  persistDuration(o.persist);
  if (o.shard !== undefined) parseShard(o.shard);
  // A bare key is Fabric's True (`--set debug`); a malformed list is refused here, before anything runs.
  for (const s of o.set) parseSetOption(s);
}

/** --persist DURATION in ms (`10m`, `30s`, `1h`, or seconds as a bare number); 0/off: no persistence. */
export function persistDuration(v: string | undefined): number {
  if (v === undefined || /^(0|off|no|false)$/i.test(v.trim())) return 0;
  const m = /^(\d+(?:\.\d+)?)\s*(s|m|h)?$/.exec(v.trim());
  if (!m)
    throw new UsageError(`--persist ${v}: expected a duration`, 'write e.g. --persist 10m, 30s, 1h (or 0 for off)');
  const ms = Number(m[1]) * { s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  if (ms < 1000) throw new UsageError(`--persist ${v}: at least 1s`, 'write e.g. --persist 10m');
  return ms;
}
