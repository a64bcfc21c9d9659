/**
 * Output of a fan-out to many hosts, checked line by line (test/integration/fanout-output.test.ts at 50 hosts,
 * bench/fanout.ts at 200): every host prints LINES long lines and the hosts whose number ends in 7 fail, so a
 * line cut or interleaved with another host's, a lost line, or a wrong summary count is caught.
 */
export const OUT_LINES = 3;
export const OUT_WIDTH = 400;

/** The remote command: LINES lines of `<hostname> line <i> xxx…` (OUT_WIDTH x's), then exit 3 on hosts *7. */
export const outputCommand = (): string =>
  `h=$(hostname); x=$(head -c ${OUT_WIDTH} /dev/zero | tr '\\0' x); ` +
  `for i in $(seq ${OUT_LINES}); do echo "$h line $i $x"; done; case $h in *7) exit 3;; esac`;

export const failsOn = (host: string): boolean => host.endsWith('7');

/** Problems found in fab's stdout for `hosts` (empty: all whole lines, every host's lines, a correct summary). */
export function checkFanoutOutput(stdout: string, hosts: string[]): string[] {
  const problems: string[] = [];
  const x = 'x'.repeat(OUT_WIDTH);
  const seen = new Map(hosts.map((h) => [h, new Set<number>()]));
  const failedLines = new Set<string>();
  let summary: string | undefined;
  for (const line of stdout.split('\n')) {
    const out = /^\[([\w.-]+)\] out: (\S+) line (\d+) (x*)$/.exec(line);
    if (out) {
      const [, prefix, host, n, xs] = out;
      if (prefix !== host || xs !== x || !seen.has(prefix!)) problems.push(`broken line: ${line.slice(0, 120)}`);
      else seen.get(prefix!)!.add(Number(n));
      continue;
    }
    const failed = /^\[([\w.-]+)\] FAILED command: \[\1\] command exited with code 3$/.exec(line);
    if (failed) failedLines.add(failed[1]!);
    else if (/^(Done|Failed) in /.test(line)) summary = line;
    else if (!/^\[[\w.-]+\] run: /.test(line) && !/^ {2}\S/.test(line) && line !== '')
      problems.push(`unexpected line: ${line.slice(0, 120)}`);
  }
  for (const [host, lines] of seen)
    if (lines.size !== OUT_LINES) problems.push(`${host}: ${lines.size} of ${OUT_LINES} output lines`);
  const failing = hosts.filter(failsOn);
  for (const h of failing) if (!failedLines.has(h)) problems.push(`${h}: no FAILED line`);
  if (failedLines.size !== failing.length)
    problems.push(`${failedLines.size} FAILED lines, ${failing.length} expected`);
  const failedPart = failing.length ? `, ${failing.length} failed` : '';
  const want = `${hosts.length} hosts: ${hosts.length - failing.length} ok${failedPart}`;
  if (!summary?.endsWith(want)) problems.push(`summary ${JSON.stringify(summary)}, expected "... ${want}"`);
  return problems;
}
